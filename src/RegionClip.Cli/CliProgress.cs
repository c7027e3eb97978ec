using Spectre.Console;

namespace RegionClip.Cli;

/// <summary>A Spectre progress bar on stderr (count, rate, ETA) around a long step.</summary>
internal static class CliProgress
{
    /// <summary>Runs <paramref name="work"/>, which reports how many of <paramref name="total"/> items are done.</summary>
    internal static T Run<T>(string description, int total, Func<IProgress<int>, T> work)
    {
        T result = default!;
        Bars()
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1));
                result = work(new TaskProgress(task));
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>The project's progress display on stderr: description, bar, percentage, count and rate (<paramref name="rateUnit"/> for reported rates), ETA; bars stay when done.</summary>
    internal static Progress Bars(string rateUnit = "/s") =>
        CliOutput.Human.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                     new RateColumn(rateUnit), new RemainingTimeColumn(), new SpinnerColumn());

    /// <summary>Synchronous (the Progress&lt;T&gt; class posts to the thread pool; a bar must not lag behind the work).</summary>
    private sealed class TaskProgress(ProgressTask task) : IProgress<int>
    {
        public void Report(int value) => task.Value = value;
    }
}
