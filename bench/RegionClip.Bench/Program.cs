using System.Globalization;
using RegionClip.Bench;

// RegionClip.Bench — C# vs PyTorch on the same libtorch, same machine, same thread count.
//   bench   [--threads N] [--rounds R] [--quick] [--smoke] [--python PATH] [--data DIR] [--out FILE]
//           [--quiet-threshold CORES] [--max-wait SECONDS] [--only GROUP[,GROUP…]]
//           writes the weights and inputs with tools/bench/bench_torch.py, then R rounds of
//           PyTorch then C#, each side in a fresh process with OMP_NUM_THREADS=N, each started
//           on a quiet machine; prints the table and writes the JSON report. Groups: ops, resnet,
//           clip, regions, detect, boxes, coldstart, pretrain, train (all by default; all but the first four always run in
//           processes of their own, so their peak memory is the detector's or the training step's).
//           --smoke: the train group at a reduced size (224x320, 64 RoIs per image; implies --quick), to
//           check the harness; not a measurement.
//   measure --threads N --data DIR [--json FILE] [--quick] [--smoke] [--only GROUP]
//           the C# side alone, on the weights and inputs the Python script wrote.
//   concepts [--captions FILE] [--count N] [--threads N] [--rounds R]
//           captions parsed into concepts per second (regionclip concepts); C# only.

try
{
    if (args.Length > 0 && args[0] == "concepts") return ConceptsBench.Run(args);
    var options = Options.Parse(args);
    return options.Verb switch
    {
        "bench" => Orchestrator.Bench(options),
        "measure" => Measure(options),
        _ => Usage(),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return Usage();
}

static int Measure(Options o)
{
    var result = CSharpSide.Run(o.Threads, o.DataDir, o.Quick, o.Only, o.Smoke);
    if (o.JsonPath is null) Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, Json.Options));
    else Json.Write(o.JsonPath, result);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: RegionClip.Bench bench [--threads N] [--rounds R] [--quick] [--smoke] [--python PATH] [--data DIR] [--out FILE] [--quiet-threshold CORES] [--max-wait SECONDS] [--only GROUP[,GROUP…]]");
    Console.Error.WriteLine("       RegionClip.Bench measure --threads N --data DIR [--json FILE] [--quick] [--smoke] [--only GROUP]");
    Console.Error.WriteLine("       RegionClip.Bench concepts [--captions FILE] [--count N] [--threads N] [--rounds R]");
    Console.Error.WriteLine($"       groups: {string.Join(", ", Options.AllGroups)}");
    return 2;
}

internal sealed record Options(
    string Verb, int Threads, int Rounds, bool Quick, string Python, string DataDir, string? JsonPath, string OutPath,
    double QuietThreshold, double MaxWaitSeconds, string? Only = null, bool Smoke = false)
{
    public static Options Parse(string[] args)
    {
        var root = RepoRoot();
        var o = new Options(args.Length > 0 ? args[0] : "", Environment.ProcessorCount, 5, false, "/usr/bin/python3",
            Path.Combine(root, "build", "bench"), null, Path.Combine(root, "bench", "results", "latest.json"), 0.15, 300);
        bool roundsGiven = false;
        for (int i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Real() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--threads": o = o with { Threads = Int() }; break;
                case "--rounds": o = o with { Rounds = Int() }; roundsGiven = true; break;
                case "--quick": o = o with { Quick = true }; break;
                case "--smoke": o = o with { Smoke = true, Quick = true }; break;
                case "--python": o = o with { Python = Next() }; break;
                case "--data": o = o with { DataDir = Path.GetFullPath(Next()) }; break;
                case "--json": o = o with { JsonPath = Path.GetFullPath(Next()) }; break;
                case "--out": o = o with { OutPath = Path.GetFullPath(Next()) }; break;
                case "--quiet-threshold": o = o with { QuietThreshold = Real() }; break;
                case "--max-wait": o = o with { MaxWaitSeconds = Real() }; break;
                case "--only": o = o with { Only = Next() }; break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (o.Quick && !roundsGiven) o = o with { Rounds = 1 };
        if (Groups(o.Only)?.FirstOrDefault(g => !AllGroups.Contains(g)) is { } unknown)
            throw new ArgumentException($"--only takes groups among {string.Join(", ", AllGroups)} (comma-separated), not '{unknown}'");
        if (o.Threads < 1 || o.Rounds < 1) throw new ArgumentException("--threads and --rounds must be at least 1");
        return o;
    }

    public static readonly string[] AllGroups = ["ops", "resnet", "clip", "regions", "detect", "boxes", "coldstart", "pretrain", "train"];

    /// <summary>Groups that always run in processes of their own, so that their peak memory is theirs.</summary>
    public static readonly string[] StandaloneGroups = ["detect", "boxes", "coldstart", "pretrain", "train"];

    /// <summary>The groups an --only value names (null: all).</summary>
    public static string[]? Groups(string? only) =>
        only?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The group lists of each side's processes: detect, pretrain and train (when wanted) each run in a process of their own.</summary>
    public string[] ProcessGroups()
    {
        var wanted = Groups(Only) ?? AllGroups;
        var rest = wanted.Where(g => !StandaloneGroups.Contains(g)).ToArray();
        var list = new List<string>();
        if (rest.Length > 0) list.Add(string.Join(",", rest));
        list.AddRange(StandaloneGroups.Where(wanted.Contains));
        return [.. list];
    }

    /// <summary>The folder holding RegionClip.slnx, searched upward from the binary, then from the working directory.</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "RegionClip.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("cannot find the repository root (RegionClip.slnx) above the binary or the working directory");
    }
}
