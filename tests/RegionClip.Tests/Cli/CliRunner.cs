using System.Text;
using System.Text.Json;

namespace RegionClip.Tests.Cli;

/// <summary>Runs the CLI in-process and captures its JSON (stdout) and messages (stderr).</summary>
internal static class CliRunner
{
    private static readonly object Gate = new();

    internal static (int exitCode, string stdout, string stderr) Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (o, e) = (new StringWriter(), new StringWriter());
            try
            {
                Console.SetOut(o);
                Console.SetError(e);
                var code = RegionClip.Cli.Program.Main(args);
                return (code, o.ToString(), e.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    internal static JsonElement Json(string stdout) => JsonDocument.Parse(Encoding.UTF8.GetBytes(stdout)).RootElement;
}
