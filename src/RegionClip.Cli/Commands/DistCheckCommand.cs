using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RegionClip.Torch;
using Dist = RegionClip.Torch.torch.distributed;

namespace RegionClip.Cli.Commands;

/// <summary>
/// `dist-check`: joins a process group and runs each collective on known tensors, so a cluster (or a mix of C# and
/// Python processes) can be checked before a long job. Every rank prints its own results as one JSON line.
/// </summary>
internal static class DistCheckCommand
{
    internal static Command Create()
    {
        var init = new Option<string?>("--init-method") { Description = "env:// (default: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE) or tcp://host:port" };
        var rank = new Option<int>("--rank") { Description = "This process's rank (default: RANK)", DefaultValueFactory = _ => -1 };
        var world = new Option<int>("--world-size") { Description = "Processes in the group (default: WORLD_SIZE)", DefaultValueFactory = _ => -1 };
        var backend = new Option<string>("--backend") { Description = "gloo (CPU) or nccl (CUDA builds)", DefaultValueFactory = _ => "gloo" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the others, at the rendezvous and in each collective", DefaultValueFactory = _ => 60 };
        var megabytes = new Option<int>("--megabytes") { Description = "Size of the all_reduce timed for bandwidth (float32)", DefaultValueFactory = _ => 16 };
        var launch = new DistributedLaunch.Options();
        var cmd = new Command("dist-check", "Checks a multi-process setup: all_reduce (sum, average, max), broadcast and all_gather on known tensors (rank r holds arange(6).view(2, 3) + 10 r), and all_reduce bandwidth; one JSON line per rank")
        {
            init, rank, world, backend, timeout, megabytes,
        };
        launch.AddTo(cmd);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            if (DistributedLaunch.LaunchIfAsked(pr, launch) is int code) return code;
            Dist.init_process_group(pr.GetValue(backend)!, pr.GetValue(init), TimeSpan.FromSeconds(pr.GetValue(timeout)), pr.GetValue(world), pr.GetValue(rank));
            try
            {
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(Check(pr.GetValue(megabytes))));
            }
            finally
            {
                Dist.destroy_process_group();
            }
            return 0;
        }));
        return cmd;
    }

    private static Dictionary<string, object> Check(int megabytes)
    {
        int rank = Dist.get_rank(), size = Dist.get_world_size();
        Tensor Mine() => torch.arange(6, dtype: ScalarType.Float32).view(2, 3) + 10 * rank;
        float[] Reduced(Dist.ReduceOp op)
        {
            using var t = Mine();
            Dist.all_reduce(t, op);
            return t.data<float>();
        }
        var result = new Dictionary<string, object>
        {
            ["rank"] = rank,
            ["world_size"] = size,
            ["all_reduce_sum"] = Reduced(Dist.ReduceOp.SUM),
            ["all_reduce_avg"] = Reduced(Dist.ReduceOp.AVG),
            ["all_reduce_max"] = Reduced(Dist.ReduceOp.MAX),
        };
        using (var b = Mine())
        {
            Dist.broadcast(b, size - 1);
            result["broadcast_from_last"] = b.data<float>();
        }
        using (var x = Mine())
        {
            var parts = Dist.all_gather(x);
            result["all_gather"] = parts.Select(p => p.data<float>()).ToArray();
            foreach (var p in parts) p.Dispose();
        }
        using (var empty = torch.zeros(0, 3))   // nothing to move: every collective returns at once (Gloo alone would divide by zero)
        {
            Dist.all_reduce(empty);
            Dist.broadcast(empty, 0);
            var parts = Dist.all_gather(empty);
            result["empty_all_gather_shapes"] = parts.Select(p => p.shape).ToArray();
            foreach (var p in parts) p.Dispose();
        }
        using (var big = torch.ones([Math.Max(1, megabytes) * 1024L * 1024 / 4]))
        {
            Dist.all_reduce(big);   // warm-up (connections, buffers)
            var clock = Stopwatch.StartNew();
            const int rounds = 5;
            for (int i = 0; i < rounds; i++) Dist.all_reduce(big);
            result["all_reduce_megabytes_per_second"] = Math.Round(megabytes * rounds / clock.Elapsed.TotalSeconds, 1);
        }
        Dist.barrier();
        return result;
    }
}
