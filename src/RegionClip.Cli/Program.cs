using System.CommandLine;
using System.CommandLine.Help;
using RegionClip.Cli.Commands;

namespace RegionClip.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var threads = new Option<int?>("--threads")
        {
            Description = "Intra-op threads for libtorch (default: all cores, or REGIONCLIP_NUM_THREADS)",
            Recursive = true,
        };
        // A plain Command (not RootCommand) so help says "regionclip", the launcher's name.
        var root = new Command("regionclip", "RegionCLIP for .NET: zero-shot and open-vocabulary object detection with region-level CLIP.")
        {
            new HelpOption(),
            new VersionOption(),
            threads,
            DemoCommand.Create(),
            TokenizeCommand.Create(),
            EmbedTextCommand.Create(),
            EmbedImageCommand.Create(),
            ClassifyCommand.Create(),
            ConvertCommand.Create(),
            ExtractConceptsCommand.Create(),
            ExtractRegionsCommand.Create(),
            DetectCommand.Create(),
            SynthCommand.Create(),
            TrainTeacherCommand.Create(),
            TrainRpnCommand.Create(),
            EvaluateCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.GetValue(threads) is int n) RegionClip.Torch.torch.set_num_threads(n);
        return parse.Invoke();
    }
}
