namespace RegionClip.Demo;

/// <summary>The class-agnostic RPN the demo trained, and how well it recalls val boxes.</summary>
public sealed record DemoRpnResult(
    string CheckpointPath, string? LogPath, long Steps, double TrainSeconds, double Recall100, double BaseRecall100, double NovelRecall100,
    IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> LossCurves);

/// <summary>The demo's RPN stage (wired to the RPN trainer once it lands).</summary>
internal static class DemoRpn
{
    public static DemoRpnResult? Train(string worldDir, string rpnDir, DemoOptions options, bool resume, IProgress<DemoProgress>? progress, CancellationToken cancel) => null;
}
