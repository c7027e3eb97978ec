namespace RegionClip.Cli.Demo;

/// <summary>Top-1 accuracy of box classification, over all boxes and over base and novel categories.</summary>
public sealed record Top1Accuracy(int Boxes, int Correct, int BaseBoxes, int BaseCorrect, int NovelBoxes, int NovelCorrect)
{
    public double All => Ratio(Correct, Boxes);
    public double Base => Ratio(BaseCorrect, BaseBoxes);
    public double Novel => Ratio(NovelCorrect, NovelBoxes);

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;

    /// <summary>Counts from (is novel, is correct) per box.</summary>
    public static Top1Accuracy Count(IReadOnlyList<(bool Novel, bool Correct)> boxes) => new(
        boxes.Count, boxes.Count(b => b.Correct),
        boxes.Count(b => !b.Novel), boxes.Count(b => !b.Novel && b.Correct),
        boxes.Count(b => b.Novel), boxes.Count(b => b.Novel && b.Correct));
}

/// <summary>COCO-style detection numbers of one mode: AP50 over novel, base and all categories (RegionCLIP's open-vocabulary metric), plus AP and AP50.</summary>
public sealed record DetectionScores(double Ap50Novel, double Ap50Base, double Ap50All, double Ap, double Ap50, int Detections, double Seconds);
