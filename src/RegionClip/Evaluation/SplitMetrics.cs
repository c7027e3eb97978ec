namespace RegionClip.Evaluation;

/// <summary>
/// Open-vocabulary numbers over a split's categories, as RegionCLIP's evaluator forms them (its
/// AP50_split_target/base/all): the mean of the defined precision entries over the split's categories.
/// COCO: at IoU 0.5, area all, maxDets 100 → AP50_novel, AP50_base, AP50_all. LVIS: over IoU .50:.95, area all
/// → AP_novel, AP_base, AP_all (with the lvis-rare split, AP_novel equals APr).
/// </summary>
public static class SplitMetrics
{
    public static IReadOnlyList<KeyValuePair<string, double>> Compute(DetectionEvaluation evaluation, OpenVocabularySplit split)
    {
        var e = evaluation.Arrays;
        var index = new Dictionary<long, int>();
        for (int k = 0; k < e.K; k++) index[e.CategoryIds[k]] = k;
        // The category axis keeps ascending-id order, as the official code indexes its precision array.
        int[] Ks(IEnumerable<long> ids) => [.. ids.Select(id => index.TryGetValue(id, out int k) ? k
            : throw new ArgumentException($"split \"{split.Name}\": category {id} is not in the evaluation")).Distinct().Order()];
        var novel = Ks(split.NovelCategoryIds);
        var @base = Ks(split.BaseCategoryIds);
        var all = Ks(split.NovelCategoryIds.Concat(split.BaseCategoryIds));
        bool coco = evaluation.Kind == EvaluationKind.Coco;
        IReadOnlyList<int>? ts = coco ? [e.IouIndex(0.5)] : null;
        int m = e.M - 1;
        string prefix = coco ? "AP50" : "AP";
        return
        [
            KeyValuePair.Create($"{prefix}_novel", e.MeanPrecision(ts, 0, m, novel)),
            KeyValuePair.Create($"{prefix}_base", e.MeanPrecision(ts, 0, m, @base)),
            KeyValuePair.Create($"{prefix}_all", e.MeanPrecision(ts, 0, m, all)),
        ];
    }
}
