using System.Text.Json;
using System.Text.Json.Serialization;
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

    /// <summary>Spectre console over the current stderr (looked up each time, so redirection is honoured).</summary>
    internal static IAnsiConsole Human
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
        var text = JsonSerializer.Serialize(value, Json);
        if (string.IsNullOrEmpty(outPath))
        {
            Console.Out.WriteLine(text);
            return;
        }
        var full = Path.GetFullPath(outPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp";
        File.WriteAllText(tmp, text + Environment.NewLine);
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>Runs a verb body, turning expected failures into one clear line and exit code 1.</summary>
    internal static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or RegionClip.Torch.TorchException
                                      or UnauthorizedAccessException or NotSupportedException or InvalidOperationException)
        {
            Human.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }
}
