using RegionClip.Cli.Demo;

namespace RegionClip.Tests.Demo;

/// <summary>Region top-1 as evaluate-zero-shot and the demo count it: overall, base/novel, and per category with its most frequent mistake.</summary>
public sealed class Top1AccuracyTests
{
    [Fact]
    public void CountsSplitsAndPerCategoryMistakes()
    {
        var a = Top1Accuracy.Count(
        [
            new("kite", true, "kite"), new("kite", true, "ladybug"), new("kite", true, "ladybug"), new("kite", true, "apple"),
            new("apple", false, "apple"), new("apple", false, "apple"), new("sun", false, "coin"),
        ]);
        Assert.Equal((7, 3, 3, 2, 4, 1), (a.Boxes, a.Correct, a.BaseBoxes, a.BaseCorrect, a.NovelBoxes, a.NovelCorrect));
        Assert.Equal(0.25, a.Novel);
        Assert.Equal(["kite", "apple", "sun"], a.PerCategory.Select(c => c.Name).ToArray());
        var kite = a.PerCategory[0];
        Assert.Equal((true, 4, 1, "ladybug"), (kite.Novel, kite.Boxes, kite.Correct, kite.CommonMistake));
        Assert.Null(a.PerCategory[1].CommonMistake);            // never wrong
        Assert.Equal(0, a.PerCategory[2].Top1);
    }
}
