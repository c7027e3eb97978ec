using System.CommandLine;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>
/// The main job. The synthetic-world demo (train a small CLIP, RegionCLIP pretraining,
/// zero-shot detection, transfer) lands with the later milestones; until then it reports the
/// engine it runs on and lists what is available.
/// </summary>
internal static class DemoCommand
{
    internal static Command Create()
    {
        var cmd = new Command("demo", "Run the end-to-end demo on the embedded synthetic world");
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var root = pr.RootCommandResult.Command;
            CliOutput.Human.MarkupLine("[bold]RegionCLIP for .NET[/]");
            CliOutput.Human.MarkupLine($"tensor engine: libtorch {Markup.Escape(Torch.torch.version)}, {Torch.torch.get_num_threads()} intra-op threads, CUDA devices: {Torch.torch.cuda.device_count()}");
            CliOutput.Human.MarkupLine("The synthetic-world demo is not built yet. Available verbs:");
            var table = new Table().AddColumns("verb", "what it does");
            foreach (var c in root.Subcommands) table.AddRow(c.Name, Markup.Escape(c.Description ?? ""));
            CliOutput.Human.Write(table);
            CliOutput.WriteJson(new
            {
                status = "demo-not-built",
                engine = new { libtorch = Torch.torch.version, threads = Torch.torch.get_num_threads(), cuda = Torch.torch.cuda.device_count() },
                verbs = root.Subcommands.Select(c => c.Name).ToArray(),
            }, null);
            return 0;
        }));
        return cmd;
    }
}
