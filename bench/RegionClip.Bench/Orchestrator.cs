using System.Diagnostics;
using System.Globalization;

namespace RegionClip.Bench;

/// <summary>The `bench` verb: both sides in fresh processes, alternating, then one table and one JSON report.</summary>
internal static class Orchestrator
{
    public static int Bench(Options o)
    {
        var root = Options.RepoRoot();
        var script = Path.Combine(root, "tools", "bench", "bench_torch.py");
        var loadBefore = SystemLoad.LoadAverage();
        Console.WriteLine($"RegionClip.Bench: {o.Threads} threads, {Environment.ProcessorCount} cores, load average {string.Join(" ", loadBefore)}");

        Console.WriteLine($"writing weights and inputs to {Path.GetRelativePath(root, o.DataDir)}/");
        Run(o.Python, [script, "--prepare-only", "--data", o.DataDir], o.Threads);

        var pytorch = new List<SideResult>();
        var csharp = new List<SideResult>();
        var runs = new List<RunInfo>();
        var (self, selfPrefix) = Self();
        for (int r = 0; r < o.Rounds; r++)
        {
            var pyJson = Path.Combine(o.DataDir, $"pytorch.{r}.json");
            List<string> pyArgs = [script, "--threads", Str(o.Threads), "--data", o.DataDir, "--json", pyJson];
            if (o.Quick) pyArgs.Add("--quick");
            if (o.Only is not null) pyArgs.AddRange(["--only", o.Only]);
            runs.Add(Measured(o, "pytorch", r, o.Python, pyArgs));
            pytorch.Add(Json.Read<SideResult>(pyJson));

            var csJson = Path.Combine(o.DataDir, $"csharp.{r}.json");
            List<string> csArgs = [.. selfPrefix, "measure", "--threads", Str(o.Threads), "--data", o.DataDir, "--json", csJson];
            if (o.Quick) csArgs.Add("--quick");
            if (o.Only is not null) csArgs.AddRange(["--only", o.Only]);
            runs.Add(Measured(o, "csharp", r, self, csArgs));
            csharp.Add(Json.Read<SideResult>(csJson));
        }

        var report = new BenchReport(
            DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), SystemLoad.CpuName(), Environment.ProcessorCount, o.Threads,
            csharp[0].TorchVersion, o.Rounds, loadBefore, SystemLoad.LoadAverage(), Compare(pytorch, csharp), csharp[^1].Parity, runs, pytorch, csharp);
        Print(report);
        Json.Write(o.OutPath, report);
        Console.WriteLine($"wrote {Path.GetRelativePath(root, o.OutPath)}");
        return 0;
    }

    /// <summary>Runs one side once a quiet machine is seen, noting how much CPU everything else used meanwhile.</summary>
    private static RunInfo Measured(Options o, string side, int round, string exe, List<string> args)
    {
        var waited = SystemLoad.WaitForQuiet(o.QuietThreshold, TimeSpan.FromSeconds(o.MaxWaitSeconds));
        Console.WriteLine($"round {round + 1}/{o.Rounds}: {side}");
        var m0 = SystemLoad.MachineBusyTicks();
        var c0 = SystemLoad.OwnAndChildrenTicks();
        var sw = Stopwatch.StartNew();
        Run(exe, args, o.Threads);
        var wall = sw.Elapsed.TotalSeconds;
        var m1 = SystemLoad.MachineBusyTicks();
        var c1 = SystemLoad.OwnAndChildrenTicks();
        double? other = m0 is null || m1 is null || c0 is null || c1 is null
            ? null
            : Math.Max(0, (m1.Value - m0.Value) - (c1.Value - c0.Value)) / 100.0 / wall;
        Console.WriteLine($"  {wall:F1} s; other processes used {(other is null ? "?" : other.Value.ToString("F2", CultureInfo.InvariantCulture))} cores meanwhile");
        return new RunInfo(side, round, wall, waited, other);
    }

    /// <summary>Pools every round's samples per side; a C#-only case compares with the PyTorch case it mirrors.</summary>
    private static List<Comparison> Compare(List<SideResult> pytorch, List<SideResult> csharp)
    {
        static double Pooled(List<SideResult> sides, string name) =>
            Stats.Median(sides.SelectMany(s => s.Cases.Where(c => c.Name == name).SelectMany(c => c.Samples)).ToArray());

        var rows = new List<Comparison>();
        foreach (var c in csharp[0].Cases)
        {
            var pyName = c.Name == "add_1elem_scoped" ? "add_1elem" : c.Name;
            double py = Pooled(pytorch, pyName), cs = Pooled(csharp, c.Name);
            rows.Add(new Comparison(c.Name, c.Unit, py, cs, cs / py));
        }
        return rows;
    }

    private static void Print(BenchReport r)
    {
        Console.WriteLine();
        Console.WriteLine($"libtorch {r.TorchVersion} | {r.Machine} | {r.Cores} cores | {r.Threads} threads | {r.Rounds} round(s), median of all samples");
        Console.WriteLine($"load average before {string.Join(" ", r.LoadBefore)}, after {string.Join(" ", r.LoadAfter)}");
        Console.WriteLine($"other processes during the runs (cores): {string.Join(", ", r.Runs.Select(x => $"{x.Side}#{x.Round + 1} {x.OtherLoadCores?.ToString("F2", CultureInfo.InvariantCulture) ?? "?"}"))}");
        Console.WriteLine();
        Console.WriteLine($"{"case",-18} {"unit",-4} {"PyTorch",10} {"C#",10} {"C#/PyTorch",11}");
        foreach (var c in r.Comparisons)
            Console.WriteLine($"{c.Name,-18} {c.Unit,-4} {Fmt(c.Pytorch),10} {Fmt(c.Csharp),10} {c.Ratio,11:F3}{(c.Ratio > 1.05 ? "  > 1.05" : "")}");
        Console.WriteLine("(add_1elem_scoped: C# with a dispose scope per call instead of Dispose(), against the same PyTorch add)");
        if (r.Comparisons.FirstOrDefault(c => c.Name == "region_300") is { } region && r.Comparisons.FirstOrDefault(c => c.Name == "crop_clip_300") is { } crop)
            Console.WriteLine($"region features vs crop-then-CLIP, 300 boxes: {crop.Pytorch / region.Pytorch:F1}x faster in PyTorch, {crop.Csharp / region.Csharp:F1}x in C# (C# regions vs PyTorch crops: {crop.Pytorch / region.Csharp:F1}x)");
        foreach (var name in r.Comparisons.Select(c => c.Name).Where(n => n.StartsWith("resnet", StringComparison.Ordinal) || n.StartsWith("clip", StringComparison.Ordinal)))
            Console.WriteLine($"minor page faults per call, {name}: PyTorch {Faults(r.Pytorch, name)}, C# {Faults(r.Csharp, name)} (median, thousands)");
        if (r.Parity is not null)
            foreach (var (k, p) in r.Parity)
                Console.WriteLine($"parity {k}: max |C# - PyTorch| = {p.MaxAbsDiff:G3} (max |reference| {p.MaxAbsReference:F1})");
        if (r.Pytorch[^1].Parity is { } own)
            Console.WriteLine($"(PyTorch rerun vs its saved logits: {string.Join(", ", own.Select(kv => $"{kv.Key}: {kv.Value.MaxAbsDiff:G3}"))})");
    }

    private static string Faults(List<SideResult> sides, string name)
    {
        var f = sides.SelectMany(s => s.Cases.Where(c => c.Name == name && c.Faults is not null).SelectMany(c => c.Faults!)).ToArray();
        return f.Length == 0 ? "?" : (Stats.Median(f) / 1000).ToString("F0", CultureInfo.InvariantCulture) + "k";
    }

    private static string Fmt(double v) => v.ToString(v < 10 ? "F3" : "F1", CultureInfo.InvariantCulture);
    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static void Run(string exe, IEnumerable<string> args, int threads)
    {
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // OpenMP reads these once, when libtorch loads: hence a fresh process per side.
        psi.Environment["OMP_NUM_THREADS"] = Str(threads);
        psi.Environment["MKL_NUM_THREADS"] = Str(threads);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} exited with {p.ExitCode}");
    }

    /// <summary>How to start this program again: its apphost, or `dotnet RegionClip.Bench.dll`.</summary>
    private static (string exe, string[] prefix) Self()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("unknown process path");
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? (host, [typeof(Orchestrator).Assembly.Location])
            : (host, []);
    }
}
