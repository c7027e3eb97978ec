using Spectre.Console;

namespace RegionClip.Cli;

/// <summary>A Spectre progress bar on stderr (count, rate, ETA) around a long step.</summary>
internal static class CliProgress
{
    /// <summary>Runs <paramref name="work"/>, which reports how many of <paramref name="total"/> items are done.</summary>
    internal static T Run<T>(string description, int total, Func<IProgress<int>, T> work)
    {
        T result = default!;
        CliOutput.Human.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                     new RateColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1));
                result = work(new Progress(task));
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>Synchronous (the Progress&lt;T&gt; class posts to the thread pool; a bar must not lag behind the work).</summary>
    private sealed class Progress(ProgressTask task) : IProgress<int>
    {
        public void Report(int value) => task.Value = value;
    }
}
