using System.Diagnostics;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Bench;

/// <summary>
/// A user's first call, mirroring bench_torch.py's coldstart group: `./regionclip detect --boxes --concepts` on one
/// 800×1216 JPEG with 30 boxes and 20 precomputed concepts, from spawn to exit (coldstart_process; one untimed run
/// first, which also builds the CLI if needed and brings the files into the page cache), and the same call's work in
/// this warm process (coldstart_warm: decode and detect, the model and concepts already loaded).
/// </summary>
internal static class ColdStartCases
{
    public static List<CaseResult> Run(string dataDir, bool quick, int threads)
    {
        int repeats = quick ? 2 : 3;
        string model = Path.Combine(dataDir, "clip_rn50.pt"), folder = Path.Combine(dataDir, "coldstart");
        string image = Path.Combine(folder, "image.jpg"), boxesFile = Path.Combine(folder, "boxes.json"), concepts = Path.Combine(folder, "concepts.pt");
        var spawned = new List<double>();
        for (int r = 0; r <= repeats; r++)
        {
            var ms = Spawn(Path.Combine(Options.RepoRoot(), "regionclip"),
                ["--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "detect", "--model", model, "--boxes", boxesFile, "--concepts", concepts, image]);
            if (r > 0) spawned.Add(ms);
        }

        using var clip = RegionClipModel.Load(model);
        using var pool = ConceptPool.Load(concepts);
        var detector = new ZeroShotDetector(clip, pool, DetectionOptions.CustomImages);
        using var boxes = Box.ToTensor(BoxesFile.Read(boxesFile).For(image)!);
        double Call()
        {
            long t0 = Stopwatch.GetTimestamp();
            using (var scope = torch.NewDisposeScope())
            using (var img = DetectionImage.Load(image))
                detector.Detect(img, boxes);
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Call();
        var warm = Enumerable.Range(0, repeats).Select(_ => Call()).ToArray();
        return
        [
            new("coldstart_process", "ms", Stats.Median([.. spawned]), spawned.Min(), [.. spawned]),
            new("coldstart_warm", "ms", Stats.Median(warm), warm.Min(), warm),
        ];
    }

    private static double Spawn(string exe, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        long t0 = Stopwatch.GetTimestamp();
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} exited with {p.ExitCode}: {stderr.Result}");
        return ms;
    }
}
