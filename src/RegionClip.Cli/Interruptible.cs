using Spectre.Console;

namespace RegionClip.Cli;

/// <summary>Long training-style work that Ctrl+C stops cleanly: the work checkpoints and throws OperationCanceledException.</summary>
internal static class Interruptible
{
    /// <summary>Exit code of a run stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    internal const int InterruptedExitCode = 130;

    /// <summary>
    /// Runs <paramref name="work"/> with a token the first Ctrl+C cancels (a second one ends the process at
    /// once). When it is cancelled, prints "interrupted: <paramref name="howToContinue"/>" and returns false.
    /// </summary>
    internal static bool TryRun<T>(Func<CancellationToken, T> work, string howToContinue, out T result)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            result = work(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            CliOutput.Human.MarkupLine($"[yellow]interrupted[/]: {Markup.Escape(howToContinue)}");
            result = default!;
            return false;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
