using System.Text.Json;
using RegionClip.Cli;

namespace RegionClip.Tests.Training.Distributed;

/// <summary>
/// torch.distributed interoperability: C# processes with each other (the launcher) and with Python's torch.distributed
/// in one Gloo group over tcp://127.0.0.1, each running `dist-check`'s collectives on rank r's arange(6) + 10 r.
/// </summary>
public sealed class DistributedInteropTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [Fact]
    public void TheLauncherStartsTwoRanksWhoseCollectivesGiveTheExpectedValues()
    {
        using var job = JobProcess.Cli(null, "dist-check", "--nproc-per-node", "2", "--megabytes", "1");
        job.AssertSucceeds(Limit, "dist-check --nproc-per-node 2");
        var lines = job.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([0, 1], lines.Select(l => l.GetProperty("rank").GetInt32()).Order());
        foreach (var l in lines)
        {
            AssertExpected(l, 2);
            // Empty tensors pass through every collective (Gloo by itself kills the process with SIGFPE).
            Assert.Equal([[0, 3], [0, 3]], l.GetProperty("empty_all_gather_shapes").EnumerateArray().Select(s => s.EnumerateArray().Select(d => d.GetInt64()).ToArray()).ToArray());
        }
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1)]
    public void ACSharpProcessAndAPythonProcessShareOneGlooGroup(int csharpRank)
    {
        Skip.IfNot(JobProcess.PythonWithTorch(), $"{JobProcess.SystemPython} with torch.distributed (Debian python3-torch) is not installed: skipped");
        var port = DistributedLaunch.FreePort();
        var init = $"tcp://127.0.0.1:{port}";
        var script = Path.Combine(RepoRoot(), "tools", "distributed", "dist_check.py");
        using var python = JobProcess.Python(script, init, $"{1 - csharpRank}", "2");
        using var csharp = JobProcess.Cli(null, "dist-check", "--init-method", init, "--rank", $"{csharpRank}", "--world-size", "2", "--megabytes", "4", "--timeout", "60");
        csharp.AssertSucceeds(Limit, "the C# rank");
        python.AssertSucceeds(Limit, "the Python rank");
        var c = JsonDocument.Parse(csharp.Stdout).RootElement;
        var p = JsonDocument.Parse(python.Stdout).RootElement;
        Assert.Equal(csharpRank, c.GetProperty("rank").GetInt32());
        Assert.Equal(1 - csharpRank, p.GetProperty("rank").GetInt32());
        AssertExpected(c, 2);
        AssertExpected(p, 2);
        foreach (var field in new[] { "all_reduce_sum", "all_reduce_avg", "all_reduce_max", "broadcast_from_last", "all_gather" })
            Assert.Equal(Numbers(p.GetProperty(field)), Numbers(c.GetProperty(field)));
    }

    /// <summary>The collectives' results from first principles: rank r holds v + 10 r for v = 0..5.</summary>
    private static void AssertExpected(JsonElement result, int world)
    {
        var v = Enumerable.Range(0, 6).Select(i => (double)i).ToArray();
        var ranks = Enumerable.Range(0, world).ToArray();
        Assert.Equal(world, result.GetProperty("world_size").GetInt32());
        Assert.Equal(v.Select(x => ranks.Sum(r => x + 10 * r)), Numbers(result.GetProperty("all_reduce_sum")));
        Assert.Equal(v.Select(x => ranks.Average(r => x + 10 * r)), Numbers(result.GetProperty("all_reduce_avg")));
        Assert.Equal(v.Select(x => x + 10 * (world - 1)), Numbers(result.GetProperty("all_reduce_max")));
        Assert.Equal(v.Select(x => x + 10 * (world - 1)), Numbers(result.GetProperty("broadcast_from_last")));
        Assert.Equal(ranks.SelectMany(r => v.Select(x => x + 10 * r)), Numbers(result.GetProperty("all_gather")));
    }

    private static List<double> Numbers(JsonElement e) => e.ValueKind == JsonValueKind.Array
        ? e.EnumerateArray().SelectMany(Numbers).ToList()
        : [e.GetDouble()];

    private static string RepoRoot() => Path.GetFullPath(Path.Combine(Paths.Fixture(), "..", ".."));
}
