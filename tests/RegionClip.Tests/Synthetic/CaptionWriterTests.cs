using RegionClip.Common;
using RegionClip.Synthetic;

namespace RegionClip.Tests.Synthetic;

public sealed class CaptionWriterTests
{
    // apple (no synonyms), pizza slice ("slices of pizza"), dice (die/dice), leaf (leaves), fish (fish), sheriff badge.
    private static readonly int[] Categories = [0, 6, 17, 25, 29, 9];

    /// <summary>Random layouts: categories with repeats, areas from tiny to huge, positions across a 640-wide image.</summary>
    private static List<ObjectAnnotation> Layout(Prng rng)
    {
        var list = new List<ObjectAnnotation>();
        for (int n = rng.Between(1, 8), i = 0; i < n; i++)
        {
            // Few categories per layout, so repeats (plurals and counts) are common.
            var category = rng.Pick(Categories);
            var side = rng.Between(8, 300);
            list.Add(new ObjectAnnotation(i, category, rng.Between(0, 640 - side), 0, side, side, side * side, 1));
        }
        return list;
    }

    [Fact]
    public void CaptionsNameOnlyPresentObjectsWithTrueCountsAndVariedWording()
    {
        var rng = new Prng(3);
        int synonyms = 0, plurals = 0, counted = 0, partial = 0, withFiller = 0;
        for (int s = 0; s < 600; s++)
        {
            var visible = Layout(rng);
            var caption = CaptionWriter.Write(visible, 640, rng);
            CaptionMentions.AssertTruthful(caption, visible);
            var mentions = CaptionMentions.Read(caption);
            synonyms += mentions.Count(m => m.Phrase != WorldCategories.All[m.CategoryIndex].Name && !m.Plural);
            plurals += mentions.Count(m => m.Plural);
            counted += mentions.Count(m => m.ClaimedCount > 1);
            if (mentions.Select(m => m.CategoryIndex).Distinct().Count() < visible.Select(a => a.CategoryIndex).Distinct().Count()) partial++;
            if (caption.Split(' ').Length > mentions.Sum(m => m.Phrase.Split(' ').Length) + 3) withFiller++;
        }
        Assert.True(synonyms > 30 && plurals > 30 && counted > 30 && partial > 30 && withFiller > 100,
            $"over 600 captions: {synonyms} synonyms, {plurals} plurals, {counted} counts, {partial} partial, {withFiller} with filler");
    }

    [Fact]
    public void NoCategoryNameHidesInsideAnother()
    {
        // Otherwise a caption naming one would also seem to name the other.
        var phrases = WorldCategories.All.SelectMany((c, i) => c.Names.SelectMany(n => new[] { n.Singular, n.Plural }).Select(p => (p, i))).ToList();
        foreach (var (p, i) in phrases)
            foreach (var (q, j) in phrases)
                if (i != j)
                    Assert.False((" " + q + " ").Contains(" " + p + " ", StringComparison.Ordinal), $"'{p}' ({WorldCategories.All[i]}) occurs in '{q}' ({WorldCategories.All[j]})");
    }

    [Fact]
    public void PluralsFollowEnglishRules()
    {
        Assert.Equal("boxes", WorldCategoriesPlural("box"));
        Assert.Equal("butterflies", WorldCategoriesPlural("butterfly"));
        Assert.Equal("gift boxes", WorldCategoriesPlural("gift box"));
        Assert.Equal("traffic lights", WorldCategoriesPlural("traffic light"));
        Assert.Equal("leaves", WorldCategories.All.Single(c => c.Name == "leaf").Names[0].Plural);
    }

    private static string WorldCategoriesPlural(string s) => WorldCategories.Pluralize(s);
}
