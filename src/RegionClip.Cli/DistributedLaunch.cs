using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RegionClip.Torch;

namespace RegionClip.Cli;

/// <summary>
/// Multi-process training the way torchrun starts it: `--nproc-per-node N` on a trainer starts N copies of the same
/// command with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set; a process that finds
/// WORLD_SIZE &gt; 1 in its environment (from this launcher, torchrun, Slurm or Kubernetes) joins the group (env://).
/// </summary>
internal static class DistributedLaunch
{
    internal const string BackendVariable = "REGIONCLIP_DIST_BACKEND";
    internal const string TimeoutVariable = "REGIONCLIP_DIST_TIMEOUT";

    /// <summary>The launcher options of a trainer verb.</summary>
    internal sealed class Options
    {
        internal Option<int?> NprocPerNode { get; } = new("--nproc-per-node") { Description = "Start this many training processes on this machine (data parallel; libtorch threads split between them)" };
        internal Option<int> Nnodes { get; } = new("--nnodes") { Description = "Machines in the job (each runs the same command with its own --node-rank)", DefaultValueFactory = _ => 1 };
        internal Option<int> NodeRank { get; } = new("--node-rank") { Description = "This machine's index among --nnodes", DefaultValueFactory = _ => 0 };
        internal Option<string> MasterAddr { get; } = new("--master-addr") { Description = "Address of the machine with --node-rank 0 (hosts the rendezvous)", DefaultValueFactory = _ => "127.0.0.1" };
        internal Option<int?> MasterPort { get; } = new("--master-port") { Description = "Rendezvous port (default: a free port on one machine, 29500 on several)" };

        internal void AddTo(Command command)
        {
            foreach (var o in new Option[] { NprocPerNode, Nnodes, NodeRank, MasterAddr, MasterPort }) command.Options.Add(o);
        }

        internal string[] Names => [NprocPerNode.Name, Nnodes.Name, NodeRank.Name, MasterAddr.Name, MasterPort.Name];
    }

    /// <summary>This process's rank from the environment (0 outside a multi-process job).</summary>
    internal static int EnvironmentRank =>
        int.TryParse(Environment.GetEnvironmentVariable("RANK"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : 0;

    private static bool InJob =>
        int.TryParse(Environment.GetEnvironmentVariable("WORLD_SIZE"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var w) && w > 1;

    /// <summary>
    /// With --nproc-per-node (and not already inside a job), starts the processes and waits for them; returns their
    /// exit code (the first failure's). Null when this process is to do the work itself.
    /// </summary>
    /// <param name="defaultPerNode">Processes when --nproc-per-node is not given (the demo: one per two cores).</param>
    internal static int? LaunchIfAsked(ParseResult parse, Options o, int? defaultPerNode = null)
    {
        if ((parse.GetValue(o.NprocPerNode) ?? defaultPerNode) is not int perNode || Environment.GetEnvironmentVariable("RANK") is not null) return null;
        int nodes = parse.GetValue(o.Nnodes), node = parse.GetValue(o.NodeRank);
        if (perNode == 1 && nodes == 1) return null;   // one process: this one
        if (perNode < 1) throw new ArgumentException($"--nproc-per-node is {perNode}; it must be at least 1");
        if (nodes < 1) throw new ArgumentException($"--nnodes is {nodes}; it must be at least 1");
        if (node < 0 || node >= nodes) throw new ArgumentException($"--node-rank {node} is outside 0..{nodes - 1}");
        var port = parse.GetValue(o.MasterPort) ?? (nodes == 1 ? FreePort() : 29500);
        var env = new Dictionary<string, string>
        {
            ["WORLD_SIZE"] = (perNode * nodes).ToString(CultureInfo.InvariantCulture),
            ["LOCAL_WORLD_SIZE"] = perNode.ToString(CultureInfo.InvariantCulture),
            ["MASTER_ADDR"] = parse.GetValue(o.MasterAddr)!,
            ["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        };
        // libtorch threads split between the local processes unless the user chose them.
        if (Environment.GetEnvironmentVariable("REGIONCLIP_NUM_THREADS") is null && !parse.Tokens.Any(t => t.Value.StartsWith("--threads", StringComparison.Ordinal)))
            env["REGIONCLIP_NUM_THREADS"] = Math.Max(1, Environment.ProcessorCount / perNode).ToString(CultureInfo.InvariantCulture);
        var args = WithoutLauncherOptions(Environment.GetCommandLineArgs().Skip(1).ToList(), o.Names);
        var children = new List<Process>();
        // Ctrl+C reaches the children too (one process group): they save and stop; the launcher waits for them.
        ConsoleCancelEventHandler keep = (_, e) => e.Cancel = true;
        Console.CancelKeyPress += keep;
        try
        {
            for (int local = 0; local < perNode; local++)
            {
                env["RANK"] = (node * perNode + local).ToString(CultureInfo.InvariantCulture);
                env["LOCAL_RANK"] = local.ToString(CultureInfo.InvariantCulture);
                children.Add(Start(args, env));
            }
            return Wait(children);
        }
        finally
        {
            Console.CancelKeyPress -= keep;
            foreach (var c in children) c.Dispose();
        }
    }

    /// <summary>Inside a job (WORLD_SIZE &gt; 1), joins the default process group over env:// once.</summary>
    internal static void JoinIfInJob()
    {
        if (!InJob || torch.distributed.is_initialized()) return;
        var backend = Environment.GetEnvironmentVariable(BackendVariable) is { Length: > 0 } b ? b : "gloo";
        var timeout = torch.distributed.default_pg_timeout;
        if (Environment.GetEnvironmentVariable(TimeoutVariable) is { Length: > 0 } t)
            timeout = double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
                ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"{TimeoutVariable}='{t}' is not a positive number of seconds");
        torch.distributed.init_process_group(backend, "env://", timeout);
    }

    private static Process Start(List<string> args, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        // Under the `dotnet` host the program itself is the first argument.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env) start.Environment[k] = v;
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start '{Environment.ProcessPath}'");
    }

    /// <summary>
    /// Waits for every process. After the first failure the others get the collective timeout's chance to notice and
    /// report it themselves (they stop on their own when a peer is gone), then are killed; returns the first failure's code.
    /// </summary>
    private static int Wait(List<Process> children)
    {
        int? failure = null;
        var pending = children.ToList();
        DateTime? deadline = null;
        while (pending.Count > 0)
        {
            foreach (var p in pending.Where(p => p.HasExited).ToList())
            {
                pending.Remove(p);
                if (p.ExitCode != 0 && failure is null)
                {
                    failure = p.ExitCode;
                    deadline = DateTime.UtcNow.AddSeconds(60);
                }
            }
            if (deadline is { } d && DateTime.UtcNow > d)
            {
                foreach (var p in pending) p.Kill(entireProcessTree: true);
                CliOutput.Warn($"stopped {pending.Count} process(es) still running 60 s after another failed");
                break;
            }
            Thread.Sleep(100);
        }
        return failure ?? 0;
    }

    /// <summary>The command line without the launcher's options (as "--name value" or "--name=value").</summary>
    internal static List<string> WithoutLauncherOptions(List<string> args, IReadOnlyCollection<string> names)
    {
        var kept = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            var name = args[i].Split('=', 2)[0];
            if (!names.Contains(name)) kept.Add(args[i]);
            else if (!args[i].Contains('=', StringComparison.Ordinal)) i++;   // skip its value too
        }
        return kept;
    }

    /// <summary>A TCP port free on this machine now (for a one-machine rendezvous).</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
