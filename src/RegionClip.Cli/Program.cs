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
        var verbose = new Option<bool>("--verbose")
        {
            Description = "On an unexpected error, print its stack trace too (or set REGIONCLIP_VERBOSE=1)",
            Recursive = true,
        };
        // A plain Command (not RootCommand) so help says "regionclip", the launcher's name.
        var root = new Command("regionclip", "RegionCLIP for .NET: zero-shot and open-vocabulary object detection with region-level CLIP.")
        {
            new HelpOption(),
            new VersionOption(),
            threads,
            verbose,
            DemoCommand.Create(),
            TokenizeCommand.Create(),
            EmbedTextCommand.Create(),
            EmbedImageCommand.Create(),
            ClassifyCommand.Create(),
            ConvertCommand.Create(),
            ConceptsCommand.Create(),
            ExtractConceptsCommand.Create(),
            ExtractRegionsCommand.Create(),
            DetectCommand.Create(),
            SynthCommand.Create(),
            TrainTeacherCommand.Create(),
            TrainRpnCommand.Create(),
            PretrainCommand.Create(),
            TrainCommand.Create(),
            EvaluateZeroShotCommand.Create(),
            EvaluateCommand.Create(),
            DistCheckCommand.Create(),
        };
        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.GetValue(verbose)) CliOutput.Verbose = true;
        try
        {
            if (UnknownOptions.Find(parse) is { } unknown)
                return CliOutput.Fail(new ArgumentException(unknown));
            if (parse.Errors.Count > 0)   // a missing or malformed option: one line, not the whole help text
                return CliOutput.Fail(new ArgumentException(string.Join("; ", parse.Errors.Select(e => e.Message).Distinct()) +
                                                            $" (see '{UnknownOptions.VerbOf(parse)} --help')"));
            if (parse.GetValue(threads) is int n) RegionClip.Torch.torch.set_num_threads(n);
            ApplyImagePixelLimit();
            // Verbs report their own failures in one line (CliOutput.Run); this catches the rest, so no
            // exception ever reaches the user as a stack trace.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return CliOutput.Fail(e);
        }
    }

    /// <summary>REGIONCLIP_MAX_IMAGE_PIXELS raises (or lowers) the decompression-bomb limit of every image read.</summary>
    private static void ApplyImagePixelLimit()
    {
        const string name = "REGIONCLIP_MAX_IMAGE_PIXELS";
        var text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(text)) return;
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) || limit < 1)
            throw new ArgumentException($"{name}='{text}' is not a positive whole number of pixels");
        RegionClip.Data.ImageIO.MaxPixels = limit;
    }
}
