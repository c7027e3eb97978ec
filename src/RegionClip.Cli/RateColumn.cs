using Spectre.Console;
using Spectre.Console.Rendering;

namespace RegionClip.Cli;

/// <summary>
/// "done/total rate" for a progress bar: the smoothed rate a command reports with <see cref="Report"/>
/// (images/s while training, say), or Spectre's items per second of the task before the first report.
/// </summary>
internal sealed class RateColumn(string unit = "/s") : ProgressColumn
{
    private const string Key = "rate";

    /// <summary>Folds a measured <paramref name="rate"/> into the task's shown one (exponential smoothing, <paramref name="weight"/> for the new value).</summary>
    internal static void Report(ProgressTask task, double rate, double weight) =>
        task.State.Update<double>(Key, old => old <= 0 ? rate : (1 - weight) * old + weight * rate);

    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        var rate = task.State.Get<double>(Key);
        return rate > 0
            ? new Markup($"[grey]{task.Value:0}/{task.MaxValue:0} {rate:0.0} {Markup.Escape(unit)}[/]")
            : new Markup($"[grey]{task.Value:0}/{task.MaxValue:0} {task.Speed ?? 0:0.0}/s[/]");
    }
}
