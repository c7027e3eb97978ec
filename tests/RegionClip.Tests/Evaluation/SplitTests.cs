using RegionClip.Data.Coco;
using RegionClip.Evaluation;

namespace RegionClip.Tests.Evaluation;

public sealed class SplitTests
{
    /// <summary>
    /// Category 1 is found at once (AP50 = x = 1/(1+eps)); category 2 ranks [miss, hit] (AP50 = .5, see
    /// CocoHandMadeTests); category 3 is found (x). The split's numbers average the AP50 entries of its classes.
    /// </summary>
    private static EvalCase ThreeCategories() => new EvalCase().Image(1).Category(1).Category(2).Category(3)
        .Gt(1, 1, 0, 0, 50, 50).Gt(1, 2, 100, 100, 50, 50).Gt(1, 3, 200, 200, 50, 50)
        .Det(1, 1, 0, 0, 50, 50, 0.9)
        .Det(1, 2, 400, 400, 50, 50, 0.8).Det(1, 2, 100, 100, 50, 50, 0.7)
        .Det(1, 3, 200, 200, 50, 50, 0.6);

    [Fact]
    public void UserSplitFileTakesNamesOrIds()
    {
        using var dir = Paths.TempDir();
        var (gt, dt) = ThreeCategories().Write(dir.FullName);
        var splitFile = dir.File("split.json");
        File.WriteAllText(splitFile, """{"base": ["thing1"], "novel": [2]}""");
        var truth = CocoDataset.Load(gt);
        var e = CocoEvaluator.Evaluate(truth, CocoResultsFile.Load(dt));
        var split = SplitMetrics.Compute(e, OpenVocabularySplit.Load(splitFile, truth)).ToDictionary();
        Assert.Equal(["AP50_novel", "AP50_base", "AP50_all"], split.Keys);
        Assert.Equal(0.5, split["AP50_novel"]);
        Assert.Equal(EvalCase.OneTp, split["AP50_base"], 1e-12);
        // Category 3 is in neither list, so it is not in "all".
        Assert.Equal((EvalCase.OneTp + 0.5) / 2, split["AP50_all"], 1e-12);
    }

    [Fact]
    public void CocoOvdSplitMatchesCategoryNames()
    {
        // "person" is base, "cat" is novel, "traffic light" is one of the 15 classes outside the split.
        using var dir = Paths.TempDir();
        var (gt, dt) = ThreeCategories().Write(dir.FullName);
        File.WriteAllText(gt, File.ReadAllText(gt).Replace("thing1", "person").Replace("thing2", "cat").Replace("thing3", "traffic light"));
        var truth = CocoDataset.Load(gt);
        var split = OpenVocabularySplit.CocoOvd(truth);
        Assert.Equal([1L], split.BaseCategoryIds);
        Assert.Equal([2L], split.NovelCategoryIds);
        var numbers = SplitMetrics.Compute(CocoEvaluator.Evaluate(truth, CocoResultsFile.Load(dt)), split).ToDictionary();
        Assert.Equal(0.5, numbers["AP50_novel"]);
        Assert.Equal((EvalCase.OneTp + 0.5) / 2, numbers["AP50_all"], 1e-12);
        Assert.Equal(48, OpenVocabularySplit.CocoBaseNames.Count);
        Assert.Equal(17, OpenVocabularySplit.CocoNovelNames.Count);
    }

    [Theory]
    [InlineData("""{"base": ["thing1"], "novel": ["unicorn"]}""", "\"novel\"[0]", "unicorn")]
    [InlineData("""{"base": [1, 99], "novel": []}""", "\"base\"[1]", "99")]
    [InlineData("""{"base": [1], "novel": [1]}""", "both base and novel", "thing1")]
    [InlineData("""{"base": [1.5], "novel": []}""", "\"base\"[0]", "name (string) or id")]
    [InlineData("""{"novel": [1]}""", "\"base\"", "array")]
    [InlineData("""["thing1"]""", "expected an object", "base")]
    [InlineData("""{"base": [1], "novel": [""", "invalid JSON", "split.json")]
    public void BadSplitFilesAreNamed(string content, string where, string what)
    {
        using var dir = Paths.TempDir();
        var (gt, _) = ThreeCategories().Write(dir.FullName);
        var splitFile = dir.File("split.json");
        File.WriteAllText(splitFile, content);
        var e = Assert.Throws<InvalidDataException>(() => OpenVocabularySplit.Load(splitFile, CocoDataset.Load(gt)));
        Assert.Contains("split.json", e.Message);
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }
}
