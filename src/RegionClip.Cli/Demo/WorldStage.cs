using System.Text.Json;
using RegionClip.Common;
using RegionClip.Synthetic;

namespace RegionClip.Cli.Demo;

/// <summary>
/// The demo's train and val worlds in OUT/world. A world is a pure function of its options, so a
/// finished split whose record (OUT/world/&lt;split&gt;.done.json) matches is reused instead of
/// rendered again; the record is written last, so an interrupted split is rendered anew.
/// </summary>
internal static class WorldStage
{
    public static IReadOnlyList<WorldSummary?> Ensure(string worldDir, DemoOptions options, IProgress<DemoProgress>? progress, CancellationToken cancel)
    {
        var splits = new[]
        {
            new WorldOptions { Split = "train", Images = options.TrainImages, Seed = options.Seed, Width = options.ImageWidth, Height = options.ImageHeight, SingleObjectFraction = options.TrainSingleFraction },
            new WorldOptions { Split = "val", Images = options.ValImages, Seed = options.Seed, Width = options.ImageWidth, Height = options.ImageHeight },
        };
        var summaries = new List<WorldSummary?>();
        foreach (var world in splits)
        {
            var record = Path.Combine(worldDir, $"{world.Split}.done.json");
            var expected = JsonSerializer.Serialize(world with { Parallelism = null });
            if (File.Exists(record) && File.ReadAllText(record) == expected && File.Exists(Path.Combine(worldDir, $"instances_{world.Split}.json")))
            {
                progress?.Report(new DemoProgress(DemoStage.World, $"{world.Split} world (reused)", world.Images, world.Images));
                summaries.Add(null);
                continue;
            }
            Directory.CreateDirectory(worldDir);
            File.Delete(record);
            var step = $"{world.Split} world";
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var summary = WorldWriter.Write(worldDir, world, new SyncProgress<int>(done =>
                progress?.Report(new DemoProgress(DemoStage.World, step, done, world.Images, ItemsPerSecond: done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)))), cancel);
            File.WriteAllText(record, expected);
            summaries.Add(summary);
        }
        return summaries;
    }
}
