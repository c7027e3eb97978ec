using System.Globalization;
using RegionClip.Torch.Native;

namespace RegionClip.Torch;

public static partial class torch
{
    /// <summary>
    /// PyTorch's <c>torch.distributed</c> on c10d itself (Gloo on CPU, NCCL in CUDA builds): one default process group per
    /// process. The rendezvous is torch 1.13's, so C# and Python processes can share a group.
    /// </summary>
    public static class distributed
    {
        /// <summary>The collective reductions (<c>torch.distributed.ReduceOp</c>); AVG is a sum divided by the world size.</summary>
        public enum ReduceOp { SUM = 0, AVG = 1, PRODUCT = 2, MIN = 3, MAX = 4 }

        /// <summary>PyTorch's default collective timeout (30 minutes).</summary>
        public static readonly TimeSpan default_pg_timeout = TimeSpan.FromMinutes(30);

        /// <summary>True when the native library was built with c10d's Gloo backend.</summary>
        public static bool is_available() => NativeMethods.rc_dist_is_available() != 0;

        public static bool is_gloo_available() => NativeMethods.rc_dist_is_backend_available("gloo") != 0;
        public static bool is_nccl_available() => NativeMethods.rc_dist_is_backend_available("nccl") != 0;
        public static bool is_initialized() => NativeMethods.rc_dist_is_initialized() != 0;

        /// <summary>
        /// Joins the default process group. <paramref name="init_method"/> is <c>env://</c> (the default: <c>MASTER_ADDR</c>,
        /// <c>MASTER_PORT</c> and, unless given, <c>RANK</c> and <c>WORLD_SIZE</c> from the environment, as torchrun sets them) or
        /// <c>tcp://host:port</c> (with <paramref name="rank"/> and <paramref name="world_size"/>). Rank 0 hosts the TCP store;
        /// every rank waits for all the others, at most <paramref name="timeout"/>, which also bounds every collective.
        /// </summary>
        public static void init_process_group(string backend = "gloo", string? init_method = null, TimeSpan? timeout = null,
            int world_size = -1, int rank = -1)
        {
            ArgumentNullException.ThrowIfNull(backend);
            var r = Rendezvous.Parse(init_method ?? "env://", rank, world_size, Environment.GetEnvironmentVariable);
            var t = timeout ?? default_pg_timeout;
            if (t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), t, "init_process_group: the timeout must be positive");
            Check.Ok(NativeMethods.rc_dist_init(backend, r.Host, r.Port, r.Rank, r.WorldSize, (long)t.TotalMilliseconds), "init_process_group");
        }

        public static int get_rank()
        {
            Check.Ok(NativeMethods.rc_dist_rank(out var r), "get_rank");
            return r;
        }

        public static int get_world_size()
        {
            Check.Ok(NativeMethods.rc_dist_world_size(out var n), "get_world_size");
            return n;
        }

        /// <summary>Reduces <paramref name="tensor"/> (contiguous) across the group, in place on every rank.</summary>
        public static void all_reduce(Tensor tensor, ReduceOp op = ReduceOp.SUM)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            Check.Ok(NativeMethods.rc_dist_all_reduce(tensor.Handle, (int)op), "all_reduce", tensor);
        }

        /// <summary>Copies rank <paramref name="src"/>'s <paramref name="tensor"/> (contiguous) into every rank's, in place.</summary>
        public static void broadcast(Tensor tensor, int src)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            Check.Ok(NativeMethods.rc_dist_broadcast(tensor.Handle, src), "broadcast", tensor);
        }

        /// <summary>Every rank's <paramref name="tensor"/> (same shape everywhere), in rank order; no gradient.</summary>
        public static Tensor[] all_gather(Tensor tensor)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            Check.Ok(NativeMethods.rc_dist_all_gather(tensor.Handle, out var list), "all_gather", tensor);
            return TensorList.Take(list);
        }

        /// <summary>
        /// Every rank's <paramref name="tensor"/> concatenated along dim 0, with a gradient: backward sums the ranks' gradients of
        /// the whole result and gives each rank the rows of its own tensor (what the official code gets from diffdist). Under a
        /// gradient average over ranks, a loss every rank computes on the gathered batch then trains as the full-batch loss.
        /// </summary>
        public static Tensor all_gather_with_grad(Tensor tensor)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            Check.Ok(NativeMethods.rc_dist_all_gather_autograd(tensor.Handle, out var o), "all_gather_with_grad", tensor);
            return Tensor.Wrap(o);
        }

        /// <summary>Returns when every rank has called it.</summary>
        public static void barrier() => Check.Ok(NativeMethods.rc_dist_barrier(), "barrier");

        public static void destroy_process_group() => Check.Ok(NativeMethods.rc_dist_destroy(), "destroy_process_group");
    }
}

/// <summary>Where and as whom a process joins its group: an <c>env://</c> or <c>tcp://host:port</c> init method resolved.</summary>
public sealed record Rendezvous(string Host, int Port, int Rank, int WorldSize)
{
    /// <summary>Resolves an init method as torch 1.13 does; <paramref name="env"/> reads environment variables.</summary>
    public static Rendezvous Parse(string initMethod, int rank, int worldSize, Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(initMethod);
        ArgumentNullException.ThrowIfNull(env);
        string host;
        int port;
        if (initMethod == "env://")
        {
            host = Required(env, "MASTER_ADDR");
            port = PortNumber(Required(env, "MASTER_PORT"), "MASTER_PORT");
            if (rank < 0) rank = Int(Required(env, "RANK"), "RANK");
            if (worldSize < 0) worldSize = Int(Required(env, "WORLD_SIZE"), "WORLD_SIZE");
        }
        else if (initMethod.StartsWith("tcp://", StringComparison.Ordinal))
        {
            var address = initMethod["tcp://".Length..];
            var query = address.IndexOf('?', StringComparison.Ordinal);
            if (query >= 0)
            {
                foreach (var pair in address[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    var kv = pair.Split('=', 2);
                    if (kv.Length == 2 && kv[0] == "rank" && rank < 0) rank = Int(kv[1], "rank in " + initMethod);
                    else if (kv.Length == 2 && kv[0] == "world_size" && worldSize < 0) worldSize = Int(kv[1], "world_size in " + initMethod);
                }
                address = address[..query];
            }
            var colon = address.LastIndexOf(':');
            if (colon <= 0) throw new ArgumentException($"init_method '{initMethod}' has no port (tcp://host:port)", nameof(initMethod));
            host = address[..colon].Trim('[', ']');
            port = PortNumber(address[(colon + 1)..], "the port of " + initMethod);
            if (rank < 0 || worldSize < 0)
                throw new ArgumentException($"init_method '{initMethod}' needs rank and world_size (as arguments or ?rank=R&world_size=N)", nameof(initMethod));
        }
        else
        {
            throw new ArgumentException($"unsupported init_method '{initMethod}' (env:// or tcp://host:port)", nameof(initMethod));
        }
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, "the world size must be at least 1");
        if (rank >= worldSize) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank {rank} is outside a world of size {worldSize}");
        return new Rendezvous(host, port, rank, worldSize);
    }

    private static string Required(Func<string, string?> env, string name) =>
        env(name) is { Length: > 0 } v ? v : throw new ArgumentException($"init_method env:// needs the environment variable {name}");

    private static int Int(string text, string what) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v : throw new ArgumentException($"{what} is '{text}', not a non-negative integer");

    private static int PortNumber(string text, string what) =>
        Int(text, what) is var p && p <= 65535 ? p : throw new ArgumentException($"{what} is {text}, outside 0..65535");
}
