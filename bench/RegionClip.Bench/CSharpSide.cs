using System.Diagnostics;
using RegionClip.Torch;
using RegionClip.Torch.Serialization;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Bench;

/// <summary>
/// The C# half of the benchmark: the same cases, repetitions and mode as tools/bench/bench_torch.py,
/// on the weights and inputs that script wrote.
/// </summary>
internal static class CSharpSide
{
    public static SideResult Run(int threads, string dataDir, bool quick, string? only = null, bool smoke = false)
    {
        torch.set_num_threads(threads);
        var groups = Options.Groups(only);
        bool Wanted(string group) => groups is null || groups.Contains(group);
        // The ResNet weights are loaded only when timed, so the peak memory of a detect-only run is the detector's.
        var model = Wanted("resnet") ? ResNet50.Load(Path.Combine(dataDir, "resnet50.pt")) : null;
        Dictionary<string, Tensor> inputs = [], expected = [];
        try
        {
            if (model is not null)
            {
                inputs = LoadTensors(Path.Combine(dataDir, "inputs.pt"));
                expected = LoadTensors(Path.Combine(dataDir, "outputs.pt"));
            }
            using var mode = torch.inference_mode();
            var parity = model is not null ? CheckParity(model, inputs, expected) : [];

            int calls = quick ? 20_000 : 100_000;
            int smallRepeats = quick ? 3 : 7;
            var cases = new List<CaseResult>();
            if (Wanted("ops"))
            {
                using var a = torch.rand(1);
                using var b = torch.rand(1);
                using var x = torch.rand(1, 1);
                cases.Add(Case("add_1elem", "us", TimeSmallOp(() => a + b, calls, smallRepeats)));
                cases.Add(Case("relu_1x1", "us", TimeSmallOp(() => F.relu(x), calls, smallRepeats)));
                cases.Add(Case("add_1elem_scoped", "us", TimeScopedAdd(a, b, calls, smallRepeats)));
            }
            if (model is not null)
            {
                cases.Add(ForwardCase("resnet50_224", model, inputs["x224"], quick ? 5 : 20, 10));
                cases.Add(ForwardCase("resnet50_800", model, inputs["x800"], quick ? 2 : 5, 1));
                model.Dispose();
            }
            if (Wanted("clip")) cases.AddRange(ClipCases.Run(dataDir, quick, parity));
            if (Wanted("regions")) cases.AddRange(RegionCases.Run(dataDir, quick, parity));
            DetectParity? detectParity = null;
            if (Wanted("detect")) cases.AddRange(DetectCases.Run(dataDir, quick, out detectParity));
            if (Wanted("boxes")) cases.AddRange(BoxesCases.Run(dataDir, quick, parity));
            if (Wanted("coldstart")) cases.AddRange(ColdStartCases.Run(dataDir, quick, threads));
            PretrainSteps? pretrainSteps = null;
            if (Wanted("pretrain")) cases.AddRange(PretrainCases.Run(dataDir, quick, parity, out pretrainSteps));
            TrainSteps? trainSteps = null;
            if (Wanted("train")) cases.AddRange(TrainCases.Run(dataDir, quick, smoke, parity, out trainSteps));

            return new SideResult("csharp", torch.version, torch.get_num_threads(), Environment.GetEnvironmentVariable("OMP_NUM_THREADS"), cases)
            {
                Parity = parity,
                DetectParity = detectParity,
                PeakRssMb = SystemLoad.PeakRssMb(),
                PretrainSteps = pretrainSteps,
                TrainSteps = trainSteps,
            };
        }
        finally
        {
            model?.Dispose();
            foreach (var t in inputs.Values) t.Dispose();
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    internal static Dictionary<string, Tensor> LoadTensors(string path)
    {
        var root = torch.load(path);
        if (root is not OrderedDictionary<string, object?> dict || dict.Values.Any(v => v is not Tensor))
        {
            Checkpoint.DisposeTree(root);
            throw new InvalidDataException($"'{path}' should hold a dict of tensors; rerun tools/bench/bench_torch.py");
        }
        return dict.ToDictionary(kv => kv.Key, kv => (Tensor)kv.Value!);
    }

    /// <summary>Runs each input once (this doubles as a warm-up) and compares with PyTorch's logits.</summary>
    private static Dictionary<string, Parity> CheckParity(ResNet50 model, Dictionary<string, Tensor> inputs, Dictionary<string, Tensor> expected)
    {
        var result = new Dictionary<string, Parity>();
        foreach (var key in new[] { "224", "800" })
        {
            using var scope = torch.NewDisposeScope();
            var y = model.forward(inputs["x" + key]);
            var reference = expected["y" + key];
            var diff = (y - reference).abs().max().item<float>();
            var scale = reference.abs().max().item<float>();
            result["resnet50_" + key] = new Parity(diff, scale);
            Console.WriteLine($"parity resnet50_{key}: max |C# - PyTorch| = {diff:E2} (max |logit| {scale:F2})");
        }
        return result;
    }

    /// <summary>µs per call; the result is freed at once, like a Python expression statement.</summary>
    private static double[] TimeSmallOp(Func<Tensor> op, int calls, int repeats)
    {
        for (int i = 0; i < calls / 10; i++) op().Dispose();
        var samples = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) op().Dispose();
            samples[r] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls;
        }
        return samples;
    }

    /// <summary>The same add, with a dispose scope per call instead of an explicit Dispose.</summary>
    private static double[] TimeScopedAdd(Tensor a, Tensor b, int calls, int repeats)
    {
        for (int i = 0; i < calls / 10; i++) using (torch.NewDisposeScope()) _ = a + b;
        var samples = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) using (torch.NewDisposeScope()) _ = a + b;
            samples[r] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls;
        }
        return samples;
    }

    /// <summary>ms per forward, including freeing everything the forward created; minor page faults of each.</summary>
    private static CaseResult ForwardCase(string name, ResNet50 model, Tensor x, int repeats, int warmup) =>
        TimeCalls(name, () => model.forward(x), repeats, warmup);

    /// <summary>ms per call, freeing everything the call created inside the timing; minor page faults of each.</summary>
    internal static CaseResult TimeCalls(string name, Func<Tensor> call, int repeats, int warmup)
    {
        for (int i = 0; i < warmup; i++) using (torch.NewDisposeScope()) call();
        var samples = new double[repeats];
        var faults = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            var f0 = SystemLoad.MinorFaults();
            long t0 = Stopwatch.GetTimestamp();
            using (torch.NewDisposeScope()) call();
            samples[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            faults[r] = SystemLoad.MinorFaults() - f0;
        }
        return Case(name, "ms", samples) with { Faults = faults };
    }

    private static CaseResult Case(string name, string unit, double[] samples) =>
        new(name, unit, Stats.Median(samples), samples.Min(), samples);
}

internal static class Stats
{
    public static double Median(IReadOnlyCollection<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) throw new ArgumentException("no samples");
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
