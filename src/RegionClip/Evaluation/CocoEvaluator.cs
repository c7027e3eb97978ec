using RegionClip.Data.Coco;

namespace RegionClip.Evaluation;

/// <summary>
/// COCO bbox evaluation with pycocotools' COCOeval semantics (evaluate → accumulate → summarize): IoU .50:.05:.95,
/// 101 recall points, areas all/small/medium/large, maxDets 1/10/100 per image and category, crowd boxes as
/// ignore regions. Numbers equal pycocotools' to the last bit.
/// </summary>
public static class CocoEvaluator
{
    public static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    /// <param name="detectionsName">Named in error messages (e.g. the results file).</param>
    public static DetectionEvaluation Evaluate(CocoDataset gt, IReadOnlyList<CocoDetection> detections, string? detectionsName = null)
    {
        string source = detectionsName ?? "detections";
        var p = EvaluationParams.Coco;
        var axes = new EvaluationInputs.Axes(gt);

        // Ground truth: every annotation, grouped by (category, image) in file order.
        var anns = gt.Annotations;
        var gtCat = new int[anns.Count];
        var gtImg = new int[anns.Count];
        for (int j = 0; j < anns.Count; j++) (gtCat[j], gtImg[j]) = (axes.CategoryIndex[anns[j].CategoryId], axes.ImageIndex[anns[j].ImageId]);
        var (gtOrder, gtStart) = EvaluationCells.Group(gtCat, gtImg, axes.K, axes.I);
        var gts = new GtBox[gtOrder.Length];
        for (int j = 0; j < gts.Length; j++) gts[j] = EvaluationInputs.Gt(anns[gtOrder[j]], gtImg[gtOrder[j]], anns[gtOrder[j]].IsCrowd);

        // Detections: an unknown image is an error (pycocotools asserts); an unknown category is dropped (it filters by catIds).
        var dtCat = new int[detections.Count];
        var dtImg = new int[detections.Count];
        int skipped = 0;
        for (int j = 0; j < detections.Count; j++)
        {
            var d = detections[j];
            EvaluationInputs.Check(d, j, source);
            if (!axes.ImageIndex.TryGetValue(d.ImageId, out dtImg[j])) throw EvaluationInputs.UnknownImage(d, j, source, gt);
            if (!axes.CategoryIndex.TryGetValue(d.CategoryId, out dtCat[j])) { dtCat[j] = -1; skipped++; }
        }
        var (dtOrder, dtStart) = EvaluationCells.Group(dtCat, dtImg, axes.K, axes.I);
        var dts = new DtBox[dtOrder.Length];
        for (int j = 0; j < dts.Length; j++) dts[j] = EvaluationInputs.Dt(detections[dtOrder[j]], dtImg[dtOrder[j]], notExhaustive: false);

        var arrays = MatchingEngine.Run(new EvaluationCells(axes.K, gts, gtStart, dts, dtStart), p, axes.CategoryIds);
        return new DetectionEvaluation(EvaluationKind.Coco, Summarize(arrays), EvaluationInputs.PerCategory(gt, arrays), arrays, skipped);
    }

    /// <summary>COCOeval.summarize() for bbox: the 12 stats.</summary>
    internal static KeyValuePair<string, double>[] Summarize(EvaluationArrays e)
    {
        int[] t50 = [e.IouIndex(0.5)], t75 = [e.IouIndex(0.75)];
        int m100 = 2;
        double[] v =
        [
            e.MeanPrecision(null, 0, m100), e.MeanPrecision(t50, 0, m100), e.MeanPrecision(t75, 0, m100),
            e.MeanPrecision(null, 1, m100), e.MeanPrecision(null, 2, m100), e.MeanPrecision(null, 3, m100),
            e.MeanRecall(null, 0, 0), e.MeanRecall(null, 0, 1), e.MeanRecall(null, 0, m100),
            e.MeanRecall(null, 1, m100), e.MeanRecall(null, 2, m100), e.MeanRecall(null, 3, m100),
        ];
        return StatNames.Select((name, i) => KeyValuePair.Create(name, v[i])).ToArray();
    }
}
