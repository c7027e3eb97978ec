using System.Text.RegularExpressions;
using RegionClip.Torch;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Cli;

/// <summary>
/// Every verb, given a malformed file of each kind it reads (a checkpoint with a missing or mis-shaped
/// key, a truncated zip, JSON or YAML of the wrong shape) or an unknown option, says so in one line
/// naming the file or option, exits non-zero, and never prints a stack trace.
/// </summary>
public sealed partial class MalformedInputTests : TorchTest, IClassFixture<MalformedInputTests.Files>
{
    private readonly Files _f;

    public MalformedInputTests(Files files) => _f = files;

    /// <summary>The malformed files, made once for the class.</summary>
    public sealed class Files : IDisposable
    {
        private readonly TempDir _dir = Paths.TempDir("malformed-inputs");

        public Files()
        {
            using var scope = torch.NewDisposeScope();
            var state = Checkpoint.LoadStateDict(Good);
            foreach (var t in state.Values) scope.Include(t);
            var withoutKey = new OrderedDictionary<string, Tensor>(state);
            withoutKey.Remove("visual.attnpool.c_proj.bias");
            Checkpoint.SaveStateDict(withoutKey, MissingKey);
            var misShaped = new OrderedDictionary<string, Tensor>(state) { ["ln_final.bias"] = torch.zeros(63) };
            Checkpoint.SaveStateDict(misShaped, MisShaped);
            var bytes = File.ReadAllBytes(Good);
            File.WriteAllBytes(Truncated, bytes[..(bytes.Length / 2)]);
            File.WriteAllText(WrongShapeJson, "{\"oops\": [1, 2, 3]}");
            File.WriteAllText(WrongShapeYaml, "steps: [1, 2]\nlr: {a: 1}\n");
            File.WriteAllText(Boxes, "[[2, 2, 30, 30]]");
            torch.save(torch.zeros(2, 32), Concepts);
            Directory.CreateDirectory(EmptyFolder);
            File.WriteAllBytes(TruncatedGzip, [0x1f, 0x8b, 0x08, 0x00, 0x00]);
        }

        public static string Good => Paths.Fixture("clip", "tiny_clip_fp32.pth");
        public static string Image => Paths.Fixture("images", "rgb.jpg");
        public string MissingKey => _dir.File("missing_key.pth");
        public string MisShaped => _dir.File("mis_shaped.pth");
        public string Truncated => _dir.File("truncated.pth");
        public string WrongShapeJson => _dir.File("wrong_shape.json");
        public string WrongShapeYaml => _dir.File("wrong_shape.yaml");
        public string Boxes => _dir.File("boxes.json");
        public string Concepts => _dir.File("concepts.pth");
        public string EmptyFolder => _dir.File("empty_world");
        public string TruncatedGzip => _dir.File("vocab.txt.gz");
        public string Out => _dir.File("out");

        public void Dispose() => _dir.Dispose();
    }

    /// <summary>(verb arguments, what the error line must name): each case breaks exactly one input.</summary>
    public static TheoryData<string> Cases() => new()
    {
        "embed-image --model {MissingKey} {Image} => missing_key.pth",
        "embed-image --model {MisShaped} {Image} => mis_shaped.pth",
        "embed-image --model {Truncated} {Image} => truncated.pth",
        "embed-text --model {MissingKey} --vocab {TruncatedGzip} hello => missing_key.pth",
        "classify --model {Truncated} --vocab {TruncatedGzip} --classes a,b {Image} => truncated.pth",
        "tokenize --vocab {TruncatedGzip} hello => vocab.txt.gz",
        "convert --in {Truncated} --out {Out}/x.pth => truncated.pth",
        "extract-concepts --model {MisShaped} --classes a --out {Out}/c.pth => mis_shaped.pth",
        "extract-regions --model {Good} --image {Image} --boxes {WrongShapeJson} => wrong_shape.json",
        "extract-regions --model {MissingKey} --image {Image} --boxes {Boxes} => missing_key.pth",
        "detect --model {MisShaped} --classes a --boxes {Boxes} {Image} => mis_shaped.pth",
        "detect --model {MissingKey} --concepts {Concepts} --boxes {Boxes} {Image} => missing_key.pth",   // no text tower built: a visual key
        "detect --model {Good} --concepts {Truncated} --boxes {Boxes} {Image} => truncated.pth",
        "detect --model {Good} --concepts {WrongShapeJson} --boxes {Boxes} {Image} => wrong_shape.json",
        "detect --model {Good} --concepts {Concepts} --rpn {Truncated} {Image} => truncated.pth",
        "detect --model {Good} --concepts {Concepts} --rpn {Good} {Image} => tiny_clip_fp32.pth",
        "detect --model {Good} --concepts {Concepts} --boxes {WrongShapeJson} {Image} => wrong_shape.json",
        "detect --model {Good} --concepts {Concepts} --proposals {WrongShapeJson} {Image} => wrong_shape.json",
        "detect --model {Good} --concepts {Concepts} --gt {WrongShapeJson} => wrong_shape.json",
        "evaluate --gt {WrongShapeJson} --dt {WrongShapeJson} => wrong_shape.json",
        "train-rpn --config {WrongShapeYaml} --out {Out}/rpn => wrong_shape.yaml",
        "train-teacher --world {EmptyFolder} --out {Out}/teacher => empty_world",
        "pretrain --config {WrongShapeYaml} --out {Out}/pretrain => wrong_shape.yaml",
        "pretrain --set solver.max_steps=ten --out {Out}/pretrain => solver.max_steps",
        "pretrain --set data.captions=c.json --out {Out}/pretrain => model.teacher",
        "evaluate-zero-shot --world {EmptyFolder} --model {Good} --rpn {Good} => tiny_clip_fp32.pth",
        "detect --model {Good} --concepts {Concepts} --max-dets 300 {Image} => --max-detections",
        "evaluate --gt {WrongShapeJson} --dt {WrongShapeJson} --spilt coco => --split",
        "embed-image --model {Good} --bogus {Image} => --bogus",
        "demo --quick --sed 3 => --seed",
        "synth --out {Out}/w --imgs 3 => --images",
        "detect {Image} => --model",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachVerbFailsInOneLineWithoutAStackTrace(string spec)
    {
        var (argsText, mustName) = (spec.Split(" => ")[0], spec.Split(" => ")[1]);
        var args = argsText.Split(' ').Select(Fill).ToArray();
        var (code, _, stderr) = CliRunner.Run(args);

        Assert.NotEqual(0, code);
        var lines = Ansi().Replace(stderr, "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("error:", line);
        Assert.Contains(mustName, line);
        Assert.DoesNotContain("Unhandled", stderr);
        Assert.DoesNotMatch(@"\bat [\w.]+\(", stderr);
    }

    [Fact]
    public void AnUnexpectedErrorIsOneLineUnlessVerbose()
    {
        // A verb body's unexpected exception type: CliOutput.Fail names the type, hides the trace.
        var (quiet, loud) = (Capture(verbose: false), Capture(verbose: true));
        Assert.Single(quiet.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("unexpected KeyNotFoundException: boom", quiet);
        Assert.Contains("--verbose", quiet);
        Assert.Contains(" at ", loud);
    }

    private static string Capture(bool verbose)
    {
        var old = (Console.Error, RegionClip.Cli.CliOutput.Verbose);
        var err = new StringWriter();
        Console.SetError(err);
        RegionClip.Cli.CliOutput.Verbose = verbose;
        try
        {
            Assert.Equal(1, RegionClip.Cli.CliOutput.Run(() => throw new KeyNotFoundException("boom")));
        }
        finally
        {
            Console.SetError(old.Error);
            RegionClip.Cli.CliOutput.Verbose = old.Verbose;
        }
        return Ansi().Replace(err.ToString(), "");
    }

    private string Fill(string arg) => Placeholder().Replace(arg, m => m.Groups[1].Value switch
    {
        "Good" => Files.Good,
        "Image" => Files.Image,
        "MissingKey" => _f.MissingKey,
        "MisShaped" => _f.MisShaped,
        "Truncated" => _f.Truncated,
        "WrongShapeJson" => _f.WrongShapeJson,
        "WrongShapeYaml" => _f.WrongShapeYaml,
        "Boxes" => _f.Boxes,
        "Concepts" => _f.Concepts,
        "EmptyFolder" => _f.EmptyFolder,
        "TruncatedGzip" => _f.TruncatedGzip,
        "Out" => _f.Out,
        var other => throw new ArgumentException($"no file {other}"),
    });

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Ansi();
}

/// <summary>REGIONCLIP_MAX_IMAGE_PIXELS sets the decompression-bomb limit of the verbs; a bad value is one line.</summary>
public sealed class ImagePixelLimitTests : TorchTest
{
    [Fact]
    public void TheEnvironmentVariableLowersTheLimitAndABadValueIsRefused()
    {
        var saved = (Environment.GetEnvironmentVariable("REGIONCLIP_MAX_IMAGE_PIXELS"), RegionClip.Data.ImageIO.MaxPixels);
        try
        {
            Environment.SetEnvironmentVariable("REGIONCLIP_MAX_IMAGE_PIXELS", "100");
            var image = Paths.Fixture("images", "rgb.jpg");
            var (code, _, stderr) = CliRunner.Run("embed-image", "--model", Paths.Fixture("clip", "tiny_clip_fp32.pth"), image);
            Assert.Equal(1, code);   // the only image was refused
            Assert.Contains("rgb.jpg", stderr);
            Assert.Contains("pixels", stderr);

            Environment.SetEnvironmentVariable("REGIONCLIP_MAX_IMAGE_PIXELS", "lots");
            (code, _, stderr) = CliRunner.Run("embed-image", "--model", Paths.Fixture("clip", "tiny_clip_fp32.pth"), image);
            Assert.Equal(1, code);
            Assert.Contains("REGIONCLIP_MAX_IMAGE_PIXELS='lots' is not a positive whole number", stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable("REGIONCLIP_MAX_IMAGE_PIXELS", saved.Item1);
            RegionClip.Data.ImageIO.MaxPixels = saved.MaxPixels;
        }
    }
}
