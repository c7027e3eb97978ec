using RegionClip.Torch;
using Dist = RegionClip.Torch.torch.distributed;

namespace RegionClip.Training.Engine;

/// <summary>
/// Data parallelism over torch.distributed's default process group, with DistributedDataParallel's contract: every
/// rank starts from rank 0's parameters, takes its own contiguous shard of each global batch, and averages the
/// gradients (in buckets) before the optimizer step, so that ranks stay identical. Rank 0 alone writes files. In a
/// single process (<see cref="Single"/>) every call is free and changes nothing.
/// </summary>
public sealed class DataParallel
{
    /// <summary>DDP's default bucket: 25 MiB of float32 gradients per all-reduce.</summary>
    public const long BucketElements = 25L * 1024 * 1024 / 4;

    private DataParallel(int rank, int worldSize) => (Rank, WorldSize) = (rank, worldSize);

    /// <summary>One process, no group.</summary>
    public static DataParallel Single { get; } = new(0, 1);

    /// <summary>The default process group's ranks when one is initialized (<see cref="torch.distributed.init_process_group"/>), else <see cref="Single"/>.</summary>
    public static DataParallel Current => Dist.is_initialized() && Dist.get_world_size() > 1 ? new(Dist.get_rank(), Dist.get_world_size()) : Single;

    public int Rank { get; }
    public int WorldSize { get; }
    /// <summary>Processes of the job on this machine (torchrun's LOCAL_WORLD_SIZE; 1 when unset).</summary>
    public int LocalWorldSize => IsDistributed && int.TryParse(Environment.GetEnvironmentVariable("LOCAL_WORLD_SIZE"), out var n) && n > 0 ? n : 1;
    public bool IsDistributed => WorldSize > 1;
    /// <summary>The rank that writes logs, checkpoints and the final model.</summary>
    public bool IsMain => Rank == 0;

    /// <summary>
    /// This rank's part of a global batch of <paramref name="globalBatch"/>: <c>Count</c> items from <c>Offset</c>.
    /// The global batch must split evenly (<paramref name="field"/> names the setting in the error).
    /// </summary>
    public (int Offset, int Count) Shard(int globalBatch, string field)
    {
        if (globalBatch % WorldSize != 0)
            throw new ArgumentException($"{field}: a global batch of {globalBatch} does not split evenly over {WorldSize} processes");
        int count = globalBatch / WorldSize;
        return (Rank * count, count);
    }

    /// <summary>
    /// This rank's contiguous part of <paramref name="count"/> items of work every rank shares (an evaluation's
    /// images): ranks in order, the first <c>count % WorldSize</c> ranks one item more.
    /// </summary>
    public (int Offset, int Count) Split(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int size = count / WorldSize, extra = count % WorldSize;
        return (Rank * size + Math.Min(Rank, extra), size + (Rank < extra ? 1 : 0));
    }

    /// <summary>
    /// Every rank's <paramref name="rows"/> (row-major, <paramref name="columns"/> values a row; the row count may differ
    /// between ranks), concatenated in rank order, on every rank — so that results computed on <see cref="Split"/> parts
    /// read as one run's.
    /// </summary>
    public double[] GatherRows(double[] rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (columns < 1 || rows.Length % columns != 0)
            throw new ArgumentException($"GatherRows takes whole rows of {columns} values, got {rows.Length} values", nameof(rows));
        if (!IsDistributed) return rows;
        using var scope = torch.NewDisposeScope();
        Tensor[] counts = null!;
        Collective("a result gather", () => counts = Dist.all_gather(torch.tensor(new[] { (long)(rows.Length / columns) })));
        var sizes = counts.Select(c => c.data<long>()[0] * columns).ToArray();
        var padded = new double[sizes.Max()];   // all_gather moves equal shapes
        rows.CopyTo(padded, 0);
        Tensor[] parts = null!;
        Collective("a result gather", () => parts = Dist.all_gather(torch.tensor(padded)));
        return [.. parts.SelectMany((p, r) => p.data<double>().Take((int)sizes[r]))];
    }

    /// <summary>Copies rank 0's values of <paramref name="tensors"/> (parameters, buffers, optimizer state) into every rank's.</summary>
    public void Broadcast(IEnumerable<Tensor> tensors)
    {
        if (!IsDistributed) return;
        using var _ = torch.no_grad();
        foreach (var bucket in Buckets(tensors.ToList()))
        {
            using var scope = torch.NewDisposeScope();
            var flat = torch.cat(bucket.Select(t => t.detach().reshape(-1).to(ScalarType.Float64)).ToArray());
            Collective("broadcast", () => Dist.broadcast(flat, 0));
            Unflatten(flat, bucket);
        }
    }

    /// <summary>Copies rank 0's parameters and buffers of <paramref name="module"/> into every rank's.</summary>
    public void Broadcast(RegionClip.Torch.nn.Module module) =>
        Broadcast(module.parameters().Cast<Tensor>().Concat(module.named_buffers().Select(b => b.buffer)));

    /// <summary>
    /// Averages the gradients of <paramref name="parameters"/> over the ranks (a missing gradient counts as zeros and
    /// becomes one), in buckets of <see cref="BucketElements"/>: call after backward, before clipping and the step.
    /// </summary>
    public void AverageGradients(IReadOnlyList<Tensor> parameters)
    {
        if (!IsDistributed) return;
        using var _ = torch.no_grad();
        var grads = parameters.Select(p => p.grad ?? (p.grad = torch.zeros_like(p))).ToList();
        foreach (var bucket in Buckets(grads))
        {
            using var scope = torch.NewDisposeScope();
            var flat = torch.cat(bucket.Select(g => g.reshape(-1)).ToArray());
            Collective("the gradient average", () => Dist.all_reduce(flat, Dist.ReduceOp.AVG));
            Unflatten(flat, bucket);
        }
        foreach (var g in grads) g.Dispose();
    }

    /// <summary>The mean over the ranks of each of <paramref name="values"/> (for logging a step's losses).</summary>
    public double[] Mean(params double[] values)
    {
        if (!IsDistributed) return values;
        using var t = torch.tensor(values);
        Collective("the loss average", () => Dist.all_reduce(t, Dist.ReduceOp.AVG));
        return t.data<double>();
    }

    /// <summary>The sum over the ranks of each of <paramref name="values"/> (for counts).</summary>
    public long[] Sum(params long[] values)
    {
        if (!IsDistributed) return values;
        using var t = torch.tensor(values);
        Collective("a count", () => Dist.all_reduce(t, Dist.ReduceOp.SUM));
        return t.data<long>();
    }

    /// <summary>True on every rank when it is true on any (e.g. Ctrl+C seen by one rank stops all at the same step).</summary>
    public bool Any(bool flag)
    {
        if (!IsDistributed) return flag;
        using var t = torch.tensor(new[] { flag ? 1L : 0L });
        Collective("the stop check", () => Dist.all_reduce(t, Dist.ReduceOp.MAX));
        return t.data<long>()[0] != 0;
    }

    /// <summary>Every rank's rows of <paramref name="local"/>, in rank order, with a gradient back to this rank's own rows.</summary>
    public Tensor Gather(Tensor local)
    {
        if (!IsDistributed) return local;
        Tensor gathered = null!;
        Collective("the feature gather", () => gathered = Dist.all_gather_with_grad(local));
        return gathered;
    }

    /// <summary>
    /// Work only rank 0 does (an evaluation, a report) while the others wait: it runs with the threads of this machine's
    /// idle processes added to its own, then every rank meets at a barrier. Returns the work's result on rank 0, the
    /// default elsewhere.
    /// </summary>
    public T? OnMain<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!IsDistributed) return work();
        T? result = default;
        if (IsMain)
        {
            int threads = torch.get_num_threads();
            torch.set_num_threads(threads * LocalWorldSize);
            try
            {
                result = work();
            }
            finally
            {
                torch.set_num_threads(threads);
            }
        }
        Barrier();
        return result;
    }

    /// <summary>Waits for every rank (e.g. while rank 0 writes a file the others will read).</summary>
    public void Barrier()
    {
        if (IsDistributed) Collective("a barrier", Dist.barrier);
    }

    /// <summary>
    /// Runs a collective; its failure (a peer gone: a closed connection, the collective timeout) becomes one clear
    /// error, so that every surviving rank stops instead of waiting.
    /// </summary>
    private void Collective(string what, Action run)
    {
        try
        {
            run();
        }
        catch (TorchException e)
        {
            throw new IOException($"rank {Rank} of {WorldSize}: {what} failed, so another process of the job has stopped or cannot be reached " +
                                  $"({e.Message}); the last checkpoint stays usable: rerun the job with --resume", e);
        }
    }

    private static IEnumerable<List<Tensor>> Buckets(IReadOnlyList<Tensor> tensors)
    {
        var bucket = new List<Tensor>();
        long size = 0;
        foreach (var t in tensors)
        {
            if (bucket.Count > 0 && size + t.numel() > BucketElements)
            {
                yield return bucket;
                (bucket, size) = ([], 0);
            }
            bucket.Add(t);
            size += t.numel();
        }
        if (bucket.Count > 0) yield return bucket;
    }

    private static void Unflatten(Tensor flat, List<Tensor> targets)
    {
        long at = 0;
        foreach (var t in targets)
        {
            t.copy_(flat.narrow(0, at, t.numel()).view(t.shape));
            at += t.numel();
        }
    }
}
