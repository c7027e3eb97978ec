using System.Text.Json;
using System.Text.Json.Serialization;
using RegionClip.Common;
using Spectre.Console;

namespace RegionClip.Cli;

/// <summary>Machine-readable JSON to --out (or stdout); human-readable text to stderr.</summary>
internal static class CliOutput
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// This process's rank in a multi-process job (RANK; 0 alone). Only rank 0 shows progress and tables and writes
    /// JSON; the others print their errors and warnings, prefixed with their rank.
    /// </summary>
    internal static int Rank { get; set; } = DistributedLaunch.EnvironmentRank;

    /// <summary>Spectre console over the current stderr (looked up each time, so redirection is honoured); silent on ranks other than 0.</summary>
    internal static IAnsiConsole Human => Rank == 0 ? Errors : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });

    private static string RankPrefix => Rank == 0 ? "" : $"rank {Rank}: ";

    private static IAnsiConsole Errors
    {
        get
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            // Redirected, Spectre assumes 80 columns and wraps long messages (paths) mid-token; a log
            // or a pipe should get each message on one line.
            if (Console.IsErrorRedirected || Console.Error is not StreamWriter) console.Profile.Width = 4096;
            return console;
        }
    }

    internal static void WriteJson(object value, string? outPath)
    {
        if (Rank != 0) return;   // rank 0 speaks for the job
        var text = JsonSerializer.Serialize(value, Json);
        if (string.IsNullOrEmpty(outPath))
        {
            Console.Out.WriteLine(text);
            return;
        }
        AtomicFile.WriteAllText(outPath, text + Environment.NewLine);
    }

    /// <summary>Print the stack trace of an unexpected error too (--verbose or REGIONCLIP_VERBOSE=1).</summary>
    internal static bool Verbose { get; set; } = Environment.GetEnvironmentVariable("REGIONCLIP_VERBOSE") is "1" or "true";

    /// <summary>Runs a verb body; any failure becomes one clear line and exit code 1 (see <see cref="Fail"/>).</summary>
    internal static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Fail(e);
        }
    }

    /// <summary>
    /// Reports a failure on one line: the message of an expected error (bad input, a missing file, a
    /// refused checkpoint), or "unexpected" with the type for anything else. Never a stack trace unless
    /// <see cref="Verbose"/>. Returns the exit code 1.
    /// </summary>
    internal static int Fail(Exception e)
    {
        var inner = e;
        while (inner is TypeInitializationException or System.Reflection.TargetInvocationException or AggregateException
               && inner.InnerException is not null)
            inner = inner.InnerException;
        var message = OneLine(inner is RegionClip.Torch.nn.StateDictException s ? s.OneLine : inner.Message);
        var line = IsExpected(inner)
            ? message
            : $"unexpected {inner.GetType().Name}: {message} (run with --verbose or REGIONCLIP_VERBOSE=1 for the details)";
        Errors.MarkupLine($"[red]{RankPrefix}error:[/] {Markup.Escape(line)}");
        if (Verbose) Console.Error.WriteLine(e.ToString());
        return 1;
    }

    /// <summary>A problem the job carries on past (a skipped image, a missing file), one line on stderr.</summary>
    internal static void Warn(string message) => Errors.MarkupLine($"[yellow]{RankPrefix}warning:[/] {Markup.Escape(OneLine(message))}");

    private static bool IsExpected(Exception e) =>
        e is IOException or InvalidDataException or ArgumentException or RegionClip.Torch.TorchException
            or UnauthorizedAccessException or NotSupportedException or InvalidOperationException
            or RegionClip.Torch.nn.StateDictException or JsonException or FormatException or OperationCanceledException;

    /// <summary>A message on one line: line breaks and runs of spaces become single spaces.</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
}
