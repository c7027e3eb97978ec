using RegionClip.Evaluation;

namespace RegionClip.Tests.Evaluation;

/// <summary>
/// Small LVIS cases derived by hand from lvis-api's definitions (see <see cref="CocoHandMadeTests"/> for how AP is
/// formed). x below is 1/(1+eps), the precision of a lone true positive.
/// </summary>
public sealed class LvisHandMadeTests
{
    private const double Tol = 1e-12;
    private static readonly double X = EvalCase.OneTp;

    /// <summary>
    /// Categories 1 (frequent), 2 (common), 3 (rare).
    /// Image 1: a small box of 1 (10×10); category 2 verified absent (neg_category_ids).
    /// Image 2: a medium box of 2 (40×40) and a medium box of 3 (50×50); category 3 not exhaustively annotated.
    /// </summary>
    private static EvalCase Federated() => new EvalCase()
        .LvisImage(1, neg: [2]).LvisImage(2, notExhaustive: [3])
        .Category(1, "f").Category(2, "c").Category(3, "r")
        .Gt(1, 1, 0, 0, 10, 10)
        .Gt(2, 2, 100, 100, 40, 40)
        .Gt(2, 3, 0, 0, 50, 50)
        .Det(1, 1, 0, 0, 10, 10, 0.9)        // category 1: the hit
        .Det(1, 1, 5, 5, 0, 10, 0.99)        // zero area: dropped (lvis-api keeps 0 < area), else a miss ranked first
        .Det(1, 2, 300, 300, 40, 40, 0.95)   // category 2 is verified absent in image 1: a false positive
        .Det(1, 3, 0, 0, 10, 10, 0.99)       // category 3 is neither annotated nor verified absent in image 1: dropped
        .Det(2, 3, 200, 200, 50, 50, 0.8)    // unmatched, but category 3 is not exhaustive in image 2: ignored
        .Det(2, 3, 0, 0, 50, 50, 0.5);       // category 3: the hit

    [Fact]
    public void FederatedRulesDecideWhichDetectionsCount()
    {
        var e = Federated().Lvis();
        // Category 1: [hit] → x. Category 2: [miss] → precision 0 at point 0, out of reach beyond: 0.
        // Category 3: [ignored, hit] → precision [0, x], envelope x → x.
        Assert.Equal([X, 0.0, X], e.PerCategory.Select(c => c.AP).ToArray(), new Near(Tol));
        Assert.Equal(X, e["APf"], Tol);
        Assert.Equal(0.0, e["APc"]);
        Assert.Equal(X, e["APr"], Tol);
        Assert.Equal(2 * X / 3, e["AP"], Tol);
        // Small: only category 1 has a small box. Medium: categories 2 (0) and 3 (x). Large: nothing.
        Assert.Equal(X, e["APs"], Tol);
        Assert.Equal(X / 2, e["APm"], Tol);
        Assert.Equal(-1.0, e["APl"]);
        // Recall: categories 1 and 3 are found, 2 is not.
        Assert.Equal(2.0 / 3.0, e["AR@300"], Tol);
        Assert.Equal(1.0, e["ARs@300"]);
        Assert.Equal(0.5, e["ARm@300"]);
        Assert.Equal(-1.0, e["ARl@300"]);
        Assert.Equal(LvisEvaluator.StatNames, e.Stats.Select(s => s.Key));
    }

    [Fact]
    public void TheSameCaseUnderCocoRulesCountsEveryDetection()
    {
        // Contrast: COCO has no federated filter, keeps zero-area boxes and knows no not-exhaustive list, so
        // category 1 ranks [zero-area miss 0.99, hit] → .5, category 3 ranks [miss .99 (image 1), miss .8, hit]
        // → 1/3, category 2 [miss] → 0: AP = (.5 + 0 + 1/3) / 3.
        var e = Federated().Coco();
        Assert.Equal((0.5 + 0 + 1.0 / 3.0) / 3, e["AP"], Tol);
    }

    [Theory]
    [InlineData(299, true)]   // 300 detections in the image: all kept; category 1's lone hit scores x
    [InlineData(300, false)]  // 301: the lowest-scored one — category 1's hit — is cut by the 300-per-image cap
    public void AtMost300DetectionsPerImageCountOverAllCategories(int misses, bool kept)
    {
        // The misses are of category 2 (annotated in the image, so they count): the cap is per image, not per category.
        var c = new EvalCase().LvisImage(1).Category(1, "f").Category(2, "f").Gt(1, 1, 0, 0, 10, 10).Gt(1, 2, 400, 400, 10, 10);
        for (int i = 0; i < misses; i++) c.Det(1, 2, 100 + i % 200, 200, 10, 10, 0.9);
        c.Det(1, 1, 0, 0, 10, 10, 0.1);
        var e = c.Lvis();
        // Cut: category 1 has a box and no detection left: precision 0 everywhere, recall 0.
        Assert.Equal(kept ? X : 0.0, e.PerCategory[0].AP, Tol);
        Assert.Equal(0.0, e.PerCategory[1].AP);
    }

    [Theory]
    [InlineData(true, 1.0)]
    [InlineData(false, 0.0)]
    public void TheCapKeepsFileOrderAmongEqualScores(bool hitFirst, double recall)
    {
        // 301 detections with one score: the cap keeps the first 300 in file order, so a hit listed last is lost.
        var c = new EvalCase().LvisImage(1).Category(1, "f").Gt(1, 1, 0, 0, 10, 10);
        if (hitFirst) c.Det(1, 1, 0, 0, 10, 10, 0.5);
        for (int i = 0; i < 300; i++) c.Det(1, 1, 100 + i, 200, 10, 10, 0.5);
        if (!hitFirst) c.Det(1, 1, 0, 0, 10, 10, 0.5);
        Assert.Equal(recall, c.Lvis()["AR@300"]);
    }

    [Fact]
    public void MissingLvisFieldsAreNamed()
    {
        var e = Assert.Throws<InvalidDataException>(() => new EvalCase().Image(7).Category(1, "f").Gt(7, 1, 0, 0, 5, 5).Lvis());
        Assert.Contains("images[0] (id 7)", e.Message);
        Assert.Contains("neg_category_ids", e.Message);
        e = Assert.Throws<InvalidDataException>(() => new EvalCase().LvisImage(7).Category(1).Gt(7, 1, 0, 0, 5, 5).Lvis());
        Assert.Contains("frequency", e.Message);
    }

    private sealed class Near(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol;
        public int GetHashCode(double obj) => 0;
    }
}
