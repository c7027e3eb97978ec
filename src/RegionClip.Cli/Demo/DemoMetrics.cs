namespace RegionClip.Cli.Demo;

/// <summary>Top-1 accuracy of box classification, over all boxes and over base and novel categories.</summary>
public sealed record Top1Accuracy(int Boxes, int Correct, int BaseBoxes, int BaseCorrect, int NovelBoxes, int NovelCorrect)
{
    public double All => Ratio(Correct, Boxes);
    public double Base => Ratio(BaseCorrect, BaseBoxes);
    public double Novel => Ratio(NovelCorrect, NovelBoxes);

    /// <summary>Per ground-truth category (file order of first appearance): its boxes, those right, and the name most often given instead.</summary>
    public IReadOnlyList<CategoryTop1> PerCategory { get; init; } = [];

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;

    /// <summary>Counts from each box's category, whether it is novel, and the category predicted for it.</summary>
    public static Top1Accuracy Count(IReadOnlyList<BoxPrediction> boxes) => new(
        boxes.Count, boxes.Count(b => b.Correct),
        boxes.Count(b => !b.Novel), boxes.Count(b => !b.Novel && b.Correct),
        boxes.Count(b => b.Novel), boxes.Count(b => b.Novel && b.Correct))
    {
        PerCategory = [.. boxes.GroupBy(b => b.Category).Select(g => new CategoryTop1(g.Key, g.First().Novel, g.Count(), g.Count(b => b.Correct),
            g.Where(b => !b.Correct).GroupBy(b => b.Predicted).OrderByDescending(m => m.Count()).ThenBy(m => m.Key, StringComparer.Ordinal).FirstOrDefault()?.Key))],
    };
}

/// <summary>One ground-truth box's top-1: its category, whether that is novel, and the category predicted.</summary>
public readonly record struct BoxPrediction(string Category, bool Novel, string Predicted)
{
    public bool Correct => Category == Predicted;
}

/// <summary>Top-1 of one category's boxes, with the most frequent wrong answer (null when none was wrong).</summary>
public sealed record CategoryTop1(string Name, bool Novel, int Boxes, int Correct, string? CommonMistake)
{
    public double Top1 => Boxes == 0 ? double.NaN : (double)Correct / Boxes;
}

/// <summary>COCO-style detection numbers of one mode: AP50 over novel, base and all categories (RegionCLIP's open-vocabulary metric), plus AP and AP50.</summary>
public sealed record DetectionScores(double Ap50Novel, double Ap50Base, double Ap50All, double Ap, double Ap50, int Detections, double Seconds);
