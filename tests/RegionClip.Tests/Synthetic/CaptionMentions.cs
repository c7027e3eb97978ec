using System.Text.RegularExpressions;
using RegionClip.Synthetic;

namespace RegionClip.Tests.Synthetic;

/// <summary>
/// Reads a caption back: which categories it names (by any singular or plural form, longest match
/// first) and, where a number word precedes a name, the count it claims. Independent of the writer.
/// </summary>
internal static partial class CaptionMentions
{
    internal sealed record Mention(int CategoryIndex, string Phrase, bool Plural, int? ClaimedCount);

    private static readonly (string[] Words, int Category, bool Plural, bool Singular)[] Forms = WorldCategories.All
        .SelectMany((c, i) => c.Names.SelectMany(n => new[]
        {
            (n.Singular.Split(' '), i, n.Plural == n.Singular, true),
            (n.Plural.Split(' '), i, true, n.Plural == n.Singular),
        }))
        .OrderByDescending(f => f.Item1.Length)
        .ToArray();

    private static readonly Dictionary<string, int> Numbers = new()
    {
        ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7,
        ["eight"] = 8, ["nine"] = 9, ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["a"] = 1, ["an"] = 1,
        ["2"] = 2, ["3"] = 3, ["4"] = 4, ["5"] = 5, ["6"] = 6, ["7"] = 7,
    };

    private static readonly HashSet<string> SizeWords = ["small", "tiny", "little", "big", "large", "huge"];

    internal static List<Mention> Read(string caption)
    {
        var words = Word().Matches(caption.ToLowerInvariant()).Select(m => m.Value).ToArray();
        var found = new List<Mention>();
        for (int i = 0; i < words.Length;)
        {
            var form = Forms.FirstOrDefault(f => i + f.Words.Length <= words.Length && f.Words.SequenceEqual(words.Skip(i).Take(f.Words.Length)));
            if (form.Words == null)
            {
                i++;
                continue;
            }
            // The count word sits right before the name, or before a size word ("a small apple").
            int before = i - 1;
            if (before >= 1 && SizeWords.Contains(words[before])) before--;
            int? claimed = before >= 0 && Numbers.TryGetValue(words[before], out var n) ? n : null;
            found.Add(new Mention(form.Category, string.Join(' ', form.Words), form.Plural && !form.Singular, claimed));
            i += form.Words.Length;
        }
        return found;
    }

    /// <summary>Fails with the caption when it names an absent category or miscounts a present one.</summary>
    internal static void AssertTruthful(string caption, IReadOnlyList<ObjectAnnotation> visible)
    {
        var counts = visible.GroupBy(a => a.CategoryIndex).ToDictionary(g => g.Key, g => g.Count());
        var mentions = Read(caption);
        Assert.True(mentions.Count > 0 || visible.Count == 0, $"'{caption}' names nothing");
        foreach (var m in mentions)
        {
            var name = WorldCategories.All[m.CategoryIndex].Name;
            Assert.True(counts.ContainsKey(m.CategoryIndex), $"'{caption}' names {name} ('{m.Phrase}'), which is not in the image");
            if (m.ClaimedCount is int n)
                Assert.True(n == counts[m.CategoryIndex], $"'{caption}' claims {n} × {name}, the image has {counts[m.CategoryIndex]}");
            if (m.Plural)
                Assert.True(counts[m.CategoryIndex] > 1, $"'{caption}' uses the plural '{m.Phrase}' for one {name}");
        }
    }

    [GeneratedRegex("[a-z0-9]+")]
    private static partial Regex Word();
}
