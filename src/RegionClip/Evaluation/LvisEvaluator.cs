using RegionClip.Data.Coco;

namespace RegionClip.Evaluation;

/// <summary>
/// LVIS v1 bbox evaluation with lvis-api's LVISEval semantics: federated (a detection counts only in images where
/// its category is annotated or verified absent via neg_category_ids; unmatched detections of a
/// not_exhaustive category are ignored), at most 300 detections per image, zero-area boxes dropped, no crowd
/// handling, AP by category frequency (APr/APc/APf) and AR@300. Numbers equal lvis-api's to the last bit.
/// </summary>
public static class LvisEvaluator
{
    public static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf", "AR@300", "ARs@300", "ARm@300", "ARl@300"];

    /// <param name="detectionsName">Named in error messages (e.g. the results file).</param>
    public static DetectionEvaluation Evaluate(CocoDataset gt, IReadOnlyList<CocoDetection> detections, string? detectionsName = null)
    {
        string source = detectionsName ?? "detections";
        var axes = new EvaluationInputs.Axes(gt);
        var groups = FrequencyGroups(gt, axes);
        var (negative, notExhaustive) = ImageLists(gt, axes);

        // Ground truth: lvis-api's get_ann_ids keeps 0 < area < inf; LVIS has no crowd boxes.
        var anns = gt.Annotations;
        var gtCat = new int[anns.Count];
        var gtImg = new int[anns.Count];
        var positive = new HashSet<long>();
        for (int j = 0; j < anns.Count; j++)
        {
            gtImg[j] = axes.ImageIndex[anns[j].ImageId];
            gtCat[j] = anns[j].Area > 0 && anns[j].Area < double.PositiveInfinity ? axes.CategoryIndex[anns[j].CategoryId] : -1;
            if (gtCat[j] >= 0) positive.Add(Cell(gtCat[j], gtImg[j], axes));
        }
        var (gtOrder, gtStart) = EvaluationCells.Group(gtCat, gtImg, axes.K, axes.I);
        var gts = new GtBox[gtOrder.Length];
        for (int j = 0; j < gts.Length; j++) gts[j] = EvaluationInputs.Gt(anns[gtOrder[j]], gtImg[gtOrder[j]], crowd: false);

        var dtImg = new int[detections.Count];
        for (int j = 0; j < detections.Count; j++)
        {
            EvaluationInputs.Check(detections[j], j, source);
            if (!axes.ImageIndex.TryGetValue(detections[j].ImageId, out dtImg[j])) throw EvaluationInputs.UnknownImage(detections[j], j, source, gt);
        }
        var kept = TopPerImage(detections, dtImg, axes.I, EvaluationParams.LvisMaxDetsPerImage);
        var dtCat = new int[detections.Count];
        int skipped = 0;
        for (int j = 0; j < detections.Count; j++)
        {
            dtCat[j] = -1;
            var d = detections[j];
            if (!kept[j]) continue;
            double area = d.Bbox[2] * d.Bbox[3];
            if (!(area > 0 && area < double.PositiveInfinity)) continue;
            if (!axes.CategoryIndex.TryGetValue(d.CategoryId, out int k)) { skipped++; continue; }
            long cell = Cell(k, dtImg[j], axes);
            // Federated: only where the category is known present (has ground truth) or known absent.
            if (positive.Contains(cell) || negative.Contains(cell)) dtCat[j] = k;
        }
        var (dtOrder, dtStart) = EvaluationCells.Group(dtCat, dtImg, axes.K, axes.I);
        var dts = new DtBox[dtOrder.Length];
        for (int j = 0; j < dts.Length; j++)
        {
            int src = dtOrder[j];
            dts[j] = EvaluationInputs.Dt(detections[src], dtImg[src], notExhaustive.Contains(Cell(dtCat[src], dtImg[src], axes)));
        }

        var arrays = MatchingEngine.Run(new EvaluationCells(axes.K, gts, gtStart, dts, dtStart), EvaluationParams.Lvis, axes.CategoryIds);
        return new DetectionEvaluation(EvaluationKind.Lvis, Summarize(arrays, groups), EvaluationInputs.PerCategory(gt, arrays), arrays, skipped);
    }

    private static long Cell(int k, int image, EvaluationInputs.Axes axes) => (long)k * axes.I + image;

    /// <summary>LVISResults.limit_dets_per_image: images with more than the cap keep their highest scores (ties: file order).</summary>
    private static bool[] TopPerImage(IReadOnlyList<CocoDetection> detections, int[] image, int imageCount, int cap)
    {
        var kept = new bool[detections.Count];
        Array.Fill(kept, true);
        var count = new int[imageCount];
        foreach (int i in image) count[i]++;
        var crowded = new Dictionary<int, List<int>>();
        for (int j = 0; j < detections.Count; j++)
            if (count[image[j]] > cap)
            {
                if (!crowded.TryGetValue(image[j], out var list)) crowded[image[j]] = list = [];
                list.Add(j);
            }
        foreach (var list in crowded.Values)
        {
            // List.Sort is not stable; the index tie-break makes it so.
            list.Sort((x, y) => detections[x].Score > detections[y].Score ? -1 : detections[x].Score < detections[y].Score ? 1 : x.CompareTo(y));
            for (int j = cap; j < list.Count; j++) kept[list[j]] = false;
        }
        return kept;
    }

    /// <summary>Category indices (K axis) of each frequency r, c, f; every category must carry one.</summary>
    private static int[][] FrequencyGroups(CocoDataset gt, EvaluationInputs.Axes axes)
    {
        var groups = new List<int>[] { [], [], [] };
        for (int k = 0; k < axes.K; k++)
        {
            var c = gt.Category(axes.CategoryIds[k]);
            int g = c.Frequency switch
            {
                "r" => 0,
                "c" => 1,
                "f" => 2,
                _ => throw new InvalidDataException($"{Path.GetFileName(gt.Path)}: category {c.Id} (\"{c.Name}\") has no \"frequency\" (r/c/f), which LVIS evaluation needs"),
            };
            groups[g].Add(k);
        }
        return [.. groups.Select(g => g.ToArray())];
    }

    /// <summary>(category, image) cells listed in each image's neg_category_ids and not_exhaustive_category_ids.</summary>
    private static (HashSet<long> Negative, HashSet<long> NotExhaustive) ImageLists(CocoDataset gt, EvaluationInputs.Axes axes)
    {
        var negative = new HashSet<long>();
        var notExhaustive = new HashSet<long>();
        for (int n = 0; n < gt.Images.Count; n++)
        {
            var image = gt.Images[n];
            var neg = gt.NegativeCategoryIds(image.Id);
            var nel = gt.NotExhaustiveCategoryIds(image.Id);
            if (neg is null || nel is null)
                throw new InvalidDataException($"{Path.GetFileName(gt.Path)}: images[{n}] (id {image.Id}): missing field \"{(neg is null ? "neg_category_ids" : "not_exhaustive_category_ids")}\", which LVIS evaluation needs");
            int i = axes.ImageIndex[image.Id];
            foreach (long c in neg) negative.Add(Cell(axes.CategoryIndex[c], i, axes));
            foreach (long c in nel) notExhaustive.Add(Cell(axes.CategoryIndex[c], i, axes));
        }
        return (negative, notExhaustive);
    }

    /// <summary>LVISEval.summarize().</summary>
    private static KeyValuePair<string, double>[] Summarize(EvaluationArrays e, int[][] frequencyGroups)
    {
        int[] t50 = [e.IouIndex(0.5)], t75 = [e.IouIndex(0.75)];
        double[] v =
        [
            e.MeanPrecision(null, 0, 0), e.MeanPrecision(t50, 0, 0), e.MeanPrecision(t75, 0, 0),
            e.MeanPrecision(null, 1, 0), e.MeanPrecision(null, 2, 0), e.MeanPrecision(null, 3, 0),
            e.MeanPrecision(null, 0, 0, frequencyGroups[0]), e.MeanPrecision(null, 0, 0, frequencyGroups[1]), e.MeanPrecision(null, 0, 0, frequencyGroups[2]),
            e.MeanRecall(null, 0, 0), e.MeanRecall(null, 1, 0), e.MeanRecall(null, 2, 0), e.MeanRecall(null, 3, 0),
        ];
        return StatNames.Select((name, i) => KeyValuePair.Create(name, v[i])).ToArray();
    }
}
