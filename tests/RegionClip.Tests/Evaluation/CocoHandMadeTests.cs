using RegionClip.Evaluation;

namespace RegionClip.Tests.Evaluation;

/// <summary>
/// Small cases whose COCO numbers follow by hand from pycocotools' definitions. Reminders for the derivations:
/// detections of one category are ranked by score over all images; precision at rank i is tp/(tp+fp+eps), then
/// replaced by the best precision at any later rank; for each of the 101 recall points r/100 the precision is
/// taken at the first rank whose recall reaches it (0 if none does); AP is the mean over 10 IoU thresholds ×
/// 101 recall points × categories, leaving out −1 (categories without ground truth). All boxes below either
/// coincide (IoU 1, a match at every threshold) or do not overlap (IoU 0).
/// </summary>
public sealed class CocoHandMadeTests
{
    private const double Tol = 1e-12;

    [Fact]
    public void EqualScoresInDifferentImagesRankByImageId()
    {
        // Images 1 and 2 hold one box each. Both detections score 0.5: the one in image 1 misses, the one in
        // image 2 hits. Ties rank by image id (a stable sort over images in id order), not by file order — the
        // hit is listed first in the results and image 2 first in the images array.
        // Ranking [miss, hit]: recall [0, .5], precision [0, 1/(2+eps) = .5] → envelope [.5, .5]. Recall points
        // 0..50 read .5, points 51..100 are out of reach (0): per threshold 51 × .5, so AP = 255/1010.
        // (Hit first would give 51 × 1/(1+eps) / 101 ≈ .505.)
        var e = new EvalCase().Image(2).Image(1).Category(1)
            .Gt(1, 1, 0, 0, 50, 50).Gt(2, 1, 0, 0, 50, 50)
            .Det(2, 1, 0, 0, 50, 50, 0.5).Det(1, 1, 300, 300, 50, 50, 0.5)
            .Coco();
        Assert.Equal(255.0 / 1010.0, e["AP"]);
        Assert.Equal(0.5, e["AR100"]);
    }

    [Fact]
    public void EqualScoresInOneImageKeepFileOrder()
    {
        // One box; a miss then a hit, both 0.5. Stable ranking keeps file order: [miss, hit]. Recall [0, 1],
        // precision [0, .5] → envelope [.5, .5]: point 0 reads rank 0, points 1..100 read rank 1 → AP = .5.
        // (Hit first: AP = 1/(1+eps).)
        var e = new EvalCase().Image(1).Category(1)
            .Gt(1, 1, 0, 0, 50, 50)
            .Det(1, 1, 300, 300, 50, 50, 0.5).Det(1, 1, 0, 0, 50, 50, 0.5)
            .Coco();
        Assert.Equal(0.5, e["AP"]);
        Assert.Equal(1.0, e["AR100"]);
    }

    [Fact]
    public void CrowdOnlyImageIgnoresDetectionsInsideTheCrowdRegion()
    {
        // Category 1: image 1 has a regular box found at score 0.7. Image 2 holds only a crowd region, with two
        // detections inside it scoring higher (0.9, 0.8). Against a crowd box IoU = intersection / detection
        // area = 1, and a crowd box absorbs any number of detections, which are then ignored (neither TP nor FP).
        // Ranking [ignored, ignored, hit]: tp [0,0,1], fp [0,0,0] → precision [0, 0, 1/(1+eps)], envelope
        // 1/(1+eps) everywhere → AP = 1/(1+eps). Counted as misses they would give 1/3; a crowd box matched
        // only once would give .5.
        // Category 2 has nothing but a crowd box (and a detection in it): no ground truth to find, so −1,
        // left out of the mean.
        var e = new EvalCase().Image(1).Image(2).Category(1).Category(2)
            .Gt(1, 1, 0, 0, 50, 50)
            .Gt(2, 1, 0, 0, 200, 200, crowd: true)
            .Gt(2, 2, 300, 300, 100, 100, crowd: true)
            .Det(2, 1, 10, 10, 20, 20, 0.9).Det(2, 1, 100, 100, 30, 30, 0.8).Det(1, 1, 0, 0, 50, 50, 0.7)
            .Det(2, 2, 310, 310, 10, 10, 0.6)
            .Coco();
        Assert.Equal(EvalCase.OneTp, e["AP"], Tol);
        Assert.Equal(1.0, e["AR100"]);
        Assert.Equal(EvalCase.OneTp, e.PerCategory[0].AP, Tol);
        Assert.Equal(-1.0, e.PerCategory[1].AP);
    }

    [Fact]
    public void ImagesWithoutDetectionsLowerRecall()
    {
        // Boxes in images 1 and 2, a detection only in image 1; image 3 has neither. Recall after the one hit
        // is .5, so points 0..50 read 1/(1+eps) and points 51..100 read 0: AP = 51/101 · 1/(1+eps), AR = .5.
        var e = new EvalCase().Image(1).Image(2).Image(3).Category(1)
            .Gt(1, 1, 0, 0, 50, 50).Gt(2, 1, 0, 0, 50, 50)
            .Det(1, 1, 0, 0, 50, 50, 0.9)
            .Coco();
        Assert.Equal(51.0 / 101.0 * EvalCase.OneTp, e["AP"], Tol);
        Assert.Equal(0.5, e["AR1"]);
        Assert.Equal(0.5, e["AR100"]);
    }

    [Fact]
    public void CategoriesAbsentFromTheGroundTruthAreLeftOut()
    {
        // Category 1 is found (AP 1/(1+eps)). Category 2 is declared but never annotated: its detections,
        // though higher scored, cannot be judged (precision −1) and neither can category 3 (nothing at all).
        // Category 7 is not declared: its detection is dropped, as pycocotools filters by catIds. The mean
        // skips the −1 entries, so AP stays 1/(1+eps) (averaging them as 0 would give a third of it).
        var e = new EvalCase().Image(1).Category(1).Category(2).Category(3)
            .Gt(1, 1, 0, 0, 50, 50)
            .Det(1, 1, 0, 0, 50, 50, 0.9).Det(1, 2, 0, 0, 50, 50, 0.95).Det(1, 2, 100, 100, 50, 50, 0.97)
            .Det(1, 7, 0, 0, 50, 50, 0.99)
            .Coco();
        Assert.Equal(EvalCase.OneTp, e["AP"], Tol);
        Assert.Equal([EvalCase.OneTp, -1.0, -1.0], e.PerCategory.Select(c => c.AP), new ToleranceComparer(Tol));
        Assert.Equal(1, e.SkippedDetections);
    }

    [Fact]
    public void AreaRangesFollowTheGroundTruthAndIgnoreUnmatchedDetectionsOfOtherSizes()
    {
        // A small box (10×10 = 100 px²) found at 0.8, after a large miss (150×150) at 0.9.
        // all:   [miss, hit] → precision [0, 1/(2+eps) = .5] → AP = .5.
        // small: the unmatched large detection is outside the range, so ignored → [ignored, hit] → 1/(1+eps).
        // medium/large: no ground truth of that size → −1.
        var e = new EvalCase().Image(1).Category(1)
            .Gt(1, 1, 0, 0, 10, 10)
            .Det(1, 1, 200, 200, 150, 150, 0.9).Det(1, 1, 0, 0, 10, 10, 0.8)
            .Coco();
        Assert.Equal(0.5, e["AP"]);
        Assert.Equal(EvalCase.OneTp, e["APs"], Tol);
        Assert.Equal(-1.0, e["APm"]);
        Assert.Equal(-1.0, e["APl"]);
        Assert.Equal(1.0, e["ARs"]);
        Assert.Equal(-1.0, e["ARm"]);
    }

    [Fact]
    public void MaxDetsCountPerImageAndCategory()
    {
        // Two boxes found at 0.9 and 0.8: with 1 detection per image only one is found.
        var e = new EvalCase().Image(1).Category(1)
            .Gt(1, 1, 0, 0, 10, 10).Gt(1, 1, 100, 100, 10, 10)
            .Det(1, 1, 0, 0, 10, 10, 0.9).Det(1, 1, 100, 100, 10, 10, 0.8)
            .Coco();
        Assert.Equal(0.5, e["AR1"]);
        Assert.Equal(1.0, e["AR10"]);
    }

    [Theory]
    [InlineData(99, 0.01, 1.0)]  // 100 detections: the hit is the 100th, precision 1/(100+eps) = .01 at every point
    [InlineData(100, 0.0, 0.0)]  // 101 detections: only the best 100 of the (image, category) are evaluated
    public void OnlyTheBest100DetectionsOfAnImageAndCategoryCount(int misses, double ap, double ar)
    {
        var c = new EvalCase().Image(1).Category(1).Category(2).Gt(1, 1, 0, 0, 10, 10);
        for (int i = 0; i < misses; i++) c.Det(1, 1, 100 + i, 200, 10, 10, 0.9);
        // Detections of another category in the same image do not use up category 1's 100.
        for (int i = 0; i < 50; i++) c.Det(1, 2, 300, 300, 10, 10, 0.95);
        c.Det(1, 1, 0, 0, 10, 10, 0.1);
        var e = c.Coco();
        Assert.Equal(ap, e["AP"], Tol);
        Assert.Equal(ar, e["AR100"]);
    }

    [Fact]
    public void AGroundTruthWithIdZeroIsNeverCountedAsFound()
    {
        // pycocotools records a match as the ground truth's id and later tests that id against 0, so a detection
        // matched to the box with id 0 counts as a false positive and the box stays unfound: AP 0, AR 0.
        // The box with id 1, found the same way, scores as usual; the mean over the two categories is x/2.
        var e = new EvalCase().Image(1).Category(1).Category(2)
            .Gt(1, 1, 0, 0, 50, 50, id: 0).Gt(1, 2, 0, 0, 50, 50, id: 1)
            .Det(1, 1, 0, 0, 50, 50, 0.9).Det(1, 2, 0, 0, 50, 50, 0.9)
            .Coco();
        Assert.Equal([0.0, EvalCase.OneTp], e.PerCategory.Select(c => c.AP).ToArray(), new ToleranceComparer(Tol));
        Assert.Equal(0.5, e["AR100"]);
    }

    [Fact]
    public void ThresholdsAreNumpyLinspaceValues()
    {
        var p = EvaluationParams.Coco;
        // np.linspace(.5, .95, 10) and np.linspace(0, 1, 101) as numpy 1.24 prints them (note .8999999999999999).
        Assert.Equal([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95], p.IouThresholds);
        Assert.Equal(101, p.RecallThresholds.Count);
        // numpy gives i × 0.01, which is not always the closest double to i/100: these are its values.
        Assert.Equal(0.07, p.RecallThresholds[7]);
        Assert.Equal(0.35000000000000003, p.RecallThresholds[35]);
        Assert.Equal(0.5700000000000001, p.RecallThresholds[57]);
        Assert.Equal(0.9500000000000001, p.RecallThresholds[95]);
        Assert.Equal(1.0, p.RecallThresholds[100]);
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol;
        public int GetHashCode(double obj) => 0;
    }
}
