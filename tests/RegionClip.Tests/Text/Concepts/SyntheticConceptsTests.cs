using System.Text.RegularExpressions;
using RegionClip.Data;
using RegionClip.Synthetic;
using RegionClip.Text.Concepts;
using Xunit.Abstractions;

namespace RegionClip.Tests.Text.Concepts;

/// <summary>
/// A synthetic world's captions (CaptionWriter's grammar) parsed into a pool: every category name
/// or synonym the captions use at least min-count times is there, no filler word of the grammar is.
/// </summary>
public sealed class SyntheticConceptsTests(ITestOutputHelper output)
{
    private const int MinCount = 3;

    /// <summary>The concept a name form must give where its words are not all nouns (adjectives drop; "of" splits).</summary>
    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["wooden door"] = ["door"], ["medical kit"] = ["kit"], ["first aid kit"] = ["aid kit"],
        ["slice of pizza"] = ["slice", "pizza"], ["camping tent"] = ["camping tent|tent"], ["gold coin"] = ["gold coin|coin"],
        ["present"] = ["present"], ["die"] = ["die"],
    };

    /// <summary>The grammar's words that are not nouns: background and size adjectives, counts, template verbs and adverbs.</summary>
    private static readonly string[] Filler =
    [
        "noisy", "colorful", "cluttered", "messy", "busy", "grainy", "streaky", "small", "tiny", "little", "big", "large", "huge",
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "few", "some",
        "several", "many", "lol", "random", "simple", "nice", "digital", "just", "found", "look", "hanging", "see", "there", "here",
        "this", "my", "some", "and", "next", "with", "beside", "near",
    ];

    [SkippableFact]
    public void PoolHoldsTheUsedCategoryNamesAndNoFiller()
    {
        var parser = DebianLexicon.Parser;
        using var dir = new TempDir("concepts-world");
        var summary = WorldWriter.Write(dir.FullName, new WorldOptions { Images = 60, Seed = 5, Split = "train", Width = 64, Height = 48, CaptionsPerImage = 3, Parallelism = 2 });
        var corpus = CaptionCorpus.Load(summary.CaptionsPath);
        Assert.Equal(CaptionCorpus.Coco, corpus.Format);
        var pool = NounPool.Select(NounPoolBuilder.Count(parser, corpus.Captions).Counts, MinCount);
        var concepts = pool.Entries.Select(e => e.Concept).ToHashSet();
        output.WriteLine($"{corpus.Captions.Count} captions → {pool.Count} concepts: {string.Join(", ", pool.Entries.Select(e => $"{e.Concept} {e.Count}"))}");

        var text = string.Join("\n", corpus.Captions).ToLowerInvariant();
        var allForms = WorldCategories.All.SelectMany(c => c.Names).SelectMany(f => new[] { f.Singular, f.Plural }).Distinct().ToList();
        var missing = new List<string>();
        int checkedForms = 0;
        foreach (var form in WorldCategories.All.SelectMany(c => c.Names).DistinctBy(f => f.Singular))
        {
            int uses = Uses(text, form.Singular, allForms) + (form.Plural == form.Singular ? 0 : Uses(text, form.Plural, allForms));
            if (uses < MinCount) continue;
            checkedForms++;
            foreach (var want in Expected.GetValueOrDefault(form.Singular, [form.Singular]))
                if (!want.Split('|').Any(concepts.Contains)) missing.Add($"{form.Singular} ({uses}× → {want})");
        }
        output.WriteLine($"{checkedForms} names used ≥ {MinCount} times; missing: {string.Join(", ", missing)}");
        Assert.True(checkedForms >= 15, $"only {checkedForms} names were used {MinCount} times: the world is too small");
        Assert.Empty(missing);
        var filler = concepts.Where(c => c.Split(' ').Any(w => Filler.Contains(w))).ToList();
        Assert.Empty(filler);
    }

    /// <summary>Whole-phrase occurrences not inside a longer name ("coin" in "gold coin" is that name's use).</summary>
    private static int Uses(string text, string phrase, List<string> allForms)
    {
        foreach (var longer in allForms.Where(f => f.Length > phrase.Length && Whole(phrase).IsMatch(f)))
            text = Whole(longer).Replace(text, "#");
        return Whole(phrase).Matches(text).Count;
    }

    private static Regex Whole(string phrase) => new($@"(?<![\w-]){Regex.Escape(phrase)}(?![\w-])");
}
