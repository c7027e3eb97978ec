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
        List<string> prepareArgs = [script, "--prepare-only", "--data", o.DataDir];
        if (o.Only is not null) prepareArgs.AddRange(["--only", o.Only]);
        if (o.Smoke) prepareArgs.Add("--smoke");
        Run(o.Python, prepareArgs, o.Threads);

        var pytorch = new List<SideResult>();
        var csharp = new List<SideResult>();
        var runs = new List<RunInfo>();
        var (self, selfPrefix) = Self();
        var processGroups = o.ProcessGroups();
        for (int r = 0; r < o.Rounds; r++)
        {
            foreach (var groups in processGroups)
            {
                var tag = processGroups.Length > 1 ? $"{r}.{groups.Replace(',', '-')}" : $"{r}";
                var pyJson = Path.Combine(o.DataDir, $"pytorch.{tag}.json");
                List<string> pyArgs = [script, "--threads", Str(o.Threads), "--data", o.DataDir, "--json", pyJson, "--only", groups];
                if (o.Quick) pyArgs.Add("--quick");
                if (o.Smoke) pyArgs.Add("--smoke");
                runs.Add(Measured(o, "pytorch", r, groups, o.Python, pyArgs));
                pytorch.Add(Json.Read<SideResult>(pyJson));

                var csJson = Path.Combine(o.DataDir, $"csharp.{tag}.json");
                List<string> csArgs = [.. selfPrefix, "measure", "--threads", Str(o.Threads), "--data", o.DataDir, "--json", csJson, "--only", groups];
                if (o.Quick) csArgs.Add("--quick");
                if (o.Smoke) csArgs.Add("--smoke");
                runs.Add(Measured(o, "csharp", r, groups, self, csArgs));
                csharp.Add(Json.Read<SideResult>(csJson));
            }
        }

        var report = new BenchReport(
            DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), SystemLoad.CpuName(), Environment.ProcessorCount, o.Threads,
            csharp[0].TorchVersion, o.Rounds, loadBefore, SystemLoad.LoadAverage(), Compare(pytorch, csharp), LastParity(csharp),
            DetectSummaryOf(pytorch, csharp), PretrainSummaryOf(pytorch, csharp), TrainSummaryOf(pytorch, csharp, o), runs, pytorch, csharp);
        Print(report);
        Json.Write(o.OutPath, report);
        Console.WriteLine($"wrote {Path.GetRelativePath(root, o.OutPath)}");
        return 0;
    }

    /// <summary>Runs one side once a quiet machine is seen, noting how much CPU everything else used meanwhile.</summary>
    private static RunInfo Measured(Options o, string side, int round, string groups, string exe, List<string> args)
    {
        var waited = SystemLoad.WaitForQuiet(o.QuietThreshold, TimeSpan.FromSeconds(o.MaxWaitSeconds));
        Console.WriteLine($"round {round + 1}/{o.Rounds}: {side} ({groups})");
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
        return new RunInfo(side, round, wall, waited, other) { Groups = groups };
    }

    /// <summary>Pools every round's samples per side; a C#-only case compares with the PyTorch case it mirrors.</summary>
    private static List<Comparison> Compare(List<SideResult> pytorch, List<SideResult> csharp)
    {
        static double Pooled(List<SideResult> sides, string name) =>
            Stats.Median(sides.SelectMany(s => s.Cases.Where(c => c.Name == name).SelectMany(c => c.Samples)).ToArray());

        var rows = new List<Comparison>();
        foreach (var c in csharp.SelectMany(s => s.Cases).DistinctBy(c => c.Name))
        {
            // C#-only variants compare with the PyTorch case they mirror: a scoped add, bfloat16 region features (float32 there).
            var pyName = c.Name == "add_1elem_scoped" ? "add_1elem" : c.Name.EndsWith("_bf16", StringComparison.Ordinal) ? c.Name[..^"_bf16".Length] : c.Name;
            double py = Pooled(pytorch, pyName), cs = Pooled(csharp, c.Name);
            rows.Add(new Comparison(c.Name, c.Unit, py, cs, cs / py));
        }
        return rows;
    }

    /// <summary>The last round's parity entries of every process.</summary>
    private static Dictionary<string, Parity>? LastParity(List<SideResult> sides)
    {
        var merged = new Dictionary<string, Parity>();
        foreach (var s in sides)
            if (s.Parity is not null)
                foreach (var (k, v) in s.Parity) merged[k] = v;
        return merged.Count > 0 ? merged : null;
    }

    /// <summary>Seconds per image, images/s, stage medians and peak memory of the detect processes.</summary>
    private static DetectSummary? DetectSummaryOf(List<SideResult> pytorch, List<SideResult> csharp)
    {
        static DetectSide? Side(List<SideResult> sides)
        {
            var detect = sides.Where(s => s.Cases.Any(c => c.Name == "detect_image")).ToList();
            if (detect.Count == 0) return null;
            double Median(string name) => Stats.Median(detect.SelectMany(s => s.Cases.Where(c => c.Name == name).SelectMany(c => c.Samples)).ToArray());
            var seconds = Median("detect_image") / 1000;
            var stages = DetectCases.Stages.ToDictionary(s => s, s => Median("detect_" + s));
            var peaks = detect.Select(s => s.PeakRssMb).OfType<double>().ToArray();
            var cpu = detect.SelectMany(s => s.Cases.Where(c => c.Name == "detect_image" && c.CpuMs is not null).SelectMany(c => c.CpuMs!)).ToArray();
            return new DetectSide(seconds, 1 / seconds, cpu.Length > 0 ? Stats.Median(cpu) / 1000 : null, stages, peaks.Length > 0 ? Stats.Median(peaks) : null);
        }
        var (py, cs) = (Side(pytorch), Side(csharp));
        if (py is null || cs is null) return null;
        return new DetectSummary(py, cs, csharp.LastOrDefault(s => s.DetectParity is not null)?.DetectParity,
            pytorch.LastOrDefault(s => s.DetectParity is not null)?.DetectParity);
    }

    /// <summary>Seconds and CPU seconds per training step (medians over every timed step) and peak memory of the processes that ran <paramref name="caseName"/>.</summary>
    private static StepSide? StepSideOf(List<SideResult> sides, string caseName)
    {
        var runs = sides.Where(s => s.Cases.Any(c => c.Name == caseName)).ToList();
        if (runs.Count == 0) return null;
        var steps = runs.SelectMany(s => s.Cases.Where(c => c.Name == caseName)).ToList();
        var cpu = steps.Where(c => c.CpuMs is not null).SelectMany(c => c.CpuMs!).ToArray();
        var peaks = runs.Select(s => s.PeakRssMb).OfType<double>().ToArray();
        return new StepSide(Stats.Median(steps.SelectMany(c => c.Samples).ToArray()), cpu.Length > 0 ? Stats.Median(cpu) / 1000 : null,
            peaks.Length > 0 ? Stats.Median(peaks) : null);
    }

    /// <summary>The pretrain processes' seconds and CPU seconds per step and peak memory.</summary>
    private static PretrainSummary? PretrainSummaryOf(List<SideResult> pytorch, List<SideResult> csharp)
    {
        var (py, cs) = (StepSideOf(pytorch, "pretrain_step"), StepSideOf(csharp, "pretrain_step"));
        return py is null || cs is null ? null : new PretrainSummary(py, cs);
    }

    /// <summary>
    /// The train processes' seconds and CPU seconds per step and peak memory, the setting of the prepared data, and every
    /// step's losses compared between the C# and the PyTorch process of each round (the k-th train process of either side).
    /// </summary>
    private static TrainSummary? TrainSummaryOf(List<SideResult> pytorch, List<SideResult> csharp, Options o)
    {
        var (py, cs) = (StepSideOf(pytorch, "train_step"), StepSideOf(csharp, "train_step"));
        if (py is null || cs is null) return null;
        var pySteps = pytorch.Select(s => s.TrainSteps).OfType<TrainSteps>().ToList();
        var csSteps = csharp.Select(s => s.TrainSteps).OfType<TrainSteps>().ToList();
        var values = new (string Name, Func<TrainSteps, double[]> Of)[]
        {
            ("loss_cls", t => t.LossCls), ("loss_box_reg", t => t.LossBoxReg),
            ("rois", t => [.. t.Rois.Select(v => (double)v)]), ("foreground", t => [.. t.Foreground.Select(v => (double)v)]),
        };
        var parity = new Dictionary<string, StepParity>();
        foreach (var (name, of) in values)
        {
            double maxAbs = 0, maxRel = 0;
            int count = 0;
            foreach (var (p, c) in pySteps.Zip(csSteps))
                foreach (var (a, b) in of(p).Zip(of(c)))
                {
                    maxAbs = Math.Max(maxAbs, Math.Abs(b - a));
                    maxRel = Math.Max(maxRel, Math.Abs(b - a) / Math.Max(Math.Abs(a), 1e-12));
                    count++;
                }
            parity[name] = new StepParity(maxAbs, maxRel, count);
        }
        return new TrainSummary(py, cs, cs.SecondsPerStep / py.SecondsPerStep, TrainSettingOf(o), parity);
    }

    /// <summary>The shapes the prepared train data has (its manifest.json).</summary>
    private static TrainSetting? TrainSettingOf(Options o)
    {
        var file = Path.Combine(TrainCases.Folder(o.DataDir, o.Smoke), "manifest.json");
        if (!File.Exists(file)) return null;
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        var m = doc.RootElement;
        int Int(string name) => m.GetProperty(name).GetInt32();
        return new TrainSetting(m.GetProperty("size").GetString() == "smoke", Int("images"), Int("height"), Int("width"), Int("rois_per_image"),
            Int("foreground_per_image"), Int("train_classes"), Int("test_classes"));
    }

    private static void Print(BenchReport r)
    {
        Console.WriteLine();
        Console.WriteLine($"libtorch {r.TorchVersion} | {r.Machine} | {r.Cores} cores | {r.Threads} threads | {r.Rounds} round(s), median of all samples");
        Console.WriteLine($"load average before {string.Join(" ", r.LoadBefore)}, after {string.Join(" ", r.LoadAfter)}");
        Console.WriteLine($"other processes during the runs (cores): {string.Join(", ", r.Runs.Select(x => $"{x.Side}#{x.Round + 1}{(x.Groups is { } g && Options.StandaloneGroups.Contains(g) ? " " + g : "")} {x.OtherLoadCores?.ToString("F2", CultureInfo.InvariantCulture) ?? "?"}"))}");
        Console.WriteLine();
        Console.WriteLine($"{"case",-18} {"unit",-4} {"PyTorch",10} {"C#",10} {"C#/PyTorch",11}");
        foreach (var c in r.Comparisons)
            Console.WriteLine($"{c.Name,-18} {c.Unit,-4} {Fmt(c.Pytorch),10} {Fmt(c.Csharp),10} {c.Ratio,11:F3}{(c.Ratio > 1.05 ? "  > 1.05" : "")}");
        Console.WriteLine("(add_1elem_scoped: C# with a dispose scope per call instead of Dispose(), against the same PyTorch add)");
        if (r.Comparisons.FirstOrDefault(c => c.Name == "region_300") is { } region && r.Comparisons.FirstOrDefault(c => c.Name == "crop_clip_300") is { } crop)
            Console.WriteLine($"region features vs crop-then-CLIP, 300 boxes: {crop.Pytorch / region.Pytorch:F1}x faster in PyTorch, {crop.Csharp / region.Csharp:F1}x in C# (C# regions vs PyTorch crops: {crop.Pytorch / region.Csharp:F1}x)");
        foreach (var name in r.Comparisons.Select(c => c.Name).Where(n => n.StartsWith("resnet", StringComparison.Ordinal) || n.StartsWith("clip", StringComparison.Ordinal) || n == "detect_image" || n == "pretrain_step" || n == "train_step"))
            Console.WriteLine($"minor page faults per call, {name}: PyTorch {Faults(r.Pytorch, name)}, C# {Faults(r.Csharp, name)} (median, thousands)");
        if (r.Detect is { } d)
        {
            Console.WriteLine();
            Console.WriteLine("detect, one 800x1216 image (1,000 proposals, 1,203 concepts):");
            Console.WriteLine($"{"",-10} {"s/image",8} {"images/s",9} {"CPU s",7} {"peak MB",8}  {string.Join(" ", DetectCases.Stages.Select(s => $"{s + " ms",12}"))}");
            foreach (var (name, side) in new[] { ("PyTorch", d.Pytorch), ("C#", d.Csharp) })
                Console.WriteLine($"{name,-10} {side.SecondsPerImage,8:F2} {side.ImagesPerSecond,9:F3} {side.CpuSecondsPerImage?.ToString("F2", CultureInfo.InvariantCulture) ?? "?",7} {side.PeakRssMb?.ToString("F0", CultureInfo.InvariantCulture) ?? "?",8}  {string.Join(" ", DetectCases.Stages.Select(s => $"{side.StageMs[s],12:F1}"))}");
            Console.WriteLine($"{"C#/PyTorch",-10} {d.Csharp.SecondsPerImage / d.Pytorch.SecondsPerImage,8:F3} {"",9} {Ratio(d.Csharp.CpuSecondsPerImage, d.Pytorch.CpuSecondsPerImage),7} {Ratio(d.Csharp.PeakRssMb, d.Pytorch.PeakRssMb),8}  {string.Join(" ", DetectCases.Stages.Select(s => $"{d.Csharp.StageMs[s] / d.Pytorch.StageMs[s],12:F3}"))}");
            Console.WriteLine("(s/image: median wall time of whole passes; CPU s: CPU time of the process over a pass, all threads; stages from separate staged passes)");
            if (d.Parity is not null) Console.WriteLine($"parity detect (C# vs PyTorch's reference): {d.Parity.Describe()}");
            if (d.PytorchRerun is not null) Console.WriteLine($"(PyTorch rerun vs its reference: {d.PytorchRerun.Describe()})");
        }
        if (r.Pretrain is { } t)
        {
            Console.WriteLine();
            Console.WriteLine("pretrain, one PretrainFastRCNN step (RN50 student + teacher + text, 2 images 800x1216, 200 regions + 2 global boxes, 4,764 concepts):");
            Console.WriteLine($"{"",-10} {"s/step",8} {"CPU s",7} {"peak MB",8}");
            foreach (var (name, side) in new[] { ("PyTorch", t.Pytorch), ("C#", t.Csharp) })
                Console.WriteLine($"{name,-10} {side.SecondsPerStep,8:F2} {side.CpuSecondsPerStep?.ToString("F2", CultureInfo.InvariantCulture) ?? "?",7} {side.PeakRssMb?.ToString("F0", CultureInfo.InvariantCulture) ?? "?",8}");
            Console.WriteLine($"{"C#/PyTorch",-10} {t.Csharp.SecondsPerStep / t.Pytorch.SecondsPerStep,8:F3} {Ratio(t.Csharp.CpuSecondsPerStep, t.Pytorch.CpuSecondsPerStep),7} {Ratio(t.Csharp.PeakRssMb, t.Pytorch.PeakRssMb),8}");
            foreach (var (name, sides) in new[] { ("PyTorch", r.Pytorch), ("C#", r.Csharp) })
                if (sides.LastOrDefault(s => s.PretrainSteps is not null)?.PretrainSteps is { } st)
                    Console.WriteLine($"losses per step, {name} (img_txt / distill / contrastive, kept): {string.Join("; ", st.KeptRegions.Select((k, i) => FormattableString.Invariant($"{st.LossImgTxtLevel[i]:F5} / {st.LossRegionDistill[i]:F5} / {st.LossConceptContrastive[i]:F5}, {k}")))}");
            if (r.Parity is not null)
                foreach (var loss in PretrainCases.Losses)
                    if (r.Parity.TryGetValue("pretrain_" + loss, out var p))
                        Console.WriteLine(p.MaxAbsReference >= 1e-6
                            ? $"parity pretrain {loss} (step 1): relative |C# - PyTorch| = {p.MaxAbsDiff / p.MaxAbsReference:G3}"
                            : $"parity pretrain {loss} (step 1): |C# - PyTorch| = {p.MaxAbsDiff:G3} (the loss is 0 up to rounding: every kept region has one target concept)");
        }
        if (r.Train is { } tr)
        {
            Console.WriteLine();
            var st = tr.Setting;
            Console.WriteLine(st is null ? "train, one transfer-learning step:"
                : $"train, one transfer-learning step (CLIPFastRCNN, RN50, {st.Images} images {st.Height}x{st.Width}, {st.RoisPerImage} RoIs per image ({st.ForegroundPerImage} foreground), {st.TrainClasses} training classes){(st.Smoke ? " [SMOKE: reduced size, not a measurement]" : "")}:");
            Console.WriteLine($"{"",-10} {"s/step",8} {"CPU s",7} {"peak MB",8}");
            foreach (var (name, side) in new[] { ("PyTorch", tr.Pytorch), ("C#", tr.Csharp) })
                Console.WriteLine($"{name,-10} {side.SecondsPerStep,8:F2} {side.CpuSecondsPerStep?.ToString("F2", CultureInfo.InvariantCulture) ?? "?",7} {side.PeakRssMb?.ToString("F0", CultureInfo.InvariantCulture) ?? "?",8}");
            Console.WriteLine($"{"C#/PyTorch",-10} {tr.Ratio,8:F3} {Ratio(tr.Csharp.CpuSecondsPerStep, tr.Pytorch.CpuSecondsPerStep),7} {Ratio(tr.Csharp.PeakRssMb, tr.Pytorch.PeakRssMb),8}  (target s/step ratio <= 0.9)");
            foreach (var (name, sides) in new[] { ("PyTorch", r.Pytorch), ("C#", r.Csharp) })
                if (sides.LastOrDefault(s => s.TrainSteps is not null)?.TrainSteps is { } ts)
                    Console.WriteLine($"losses per step, {name} (loss_cls / loss_box_reg, RoIs, foreground): {string.Join("; ", ts.Rois.Select((n, i) => FormattableString.Invariant($"{ts.LossCls[i]:F7} / {ts.LossBoxReg[i]:F7}, {n}, {ts.Foreground[i]}")))}");
            foreach (var (name, p) in tr.StepParity)
                Console.WriteLine(FormattableString.Invariant($"parity train {name}, every step of every round (C# vs PyTorch): max |difference| {p.MaxAbsDiff:G3}, max relative {p.MaxRelativeDiff:G3} over {p.Steps} steps{(name.StartsWith("loss", StringComparison.Ordinal) && p.MaxRelativeDiff > 1e-4 ? "  > 1e-4" : "")}"));
        }
        if (r.Parity is not null)
            foreach (var (k, p) in r.Parity)
                Console.WriteLine($"parity {k}: max |C# - PyTorch| = {p.MaxAbsDiff:G3} (max |reference| {p.MaxAbsReference:F1})");
        if (LastParity(r.Pytorch) is { } own)
            Console.WriteLine($"(PyTorch rerun vs its saved logits: {string.Join(", ", own.Select(kv => $"{kv.Key}: {kv.Value.MaxAbsDiff:G3}"))})");
    }

    private static string Ratio(double? a, double? b) =>
        a is null || b is null ? "?" : (a.Value / b.Value).ToString("F2", CultureInfo.InvariantCulture);

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
