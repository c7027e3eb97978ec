using RegionClip.Torch;

namespace RegionClip.Modeling.Clip;

/// <summary>Runs an encoder over items in fixed-size batches under inference mode and concatenates the rows.</summary>
internal static class Batching
{
    /// <param name="encode">Encodes items [start, start + count); its result is owned by the caller.</param>
    internal static Tensor Encode(int total, int batchSize, Func<int, int, Tensor> encode, IProgress<int>? progress, CancellationToken cancel)
    {
        var parts = new List<Tensor>();
        try
        {
            using var _ = torch.inference_mode();
            for (int start = 0; start < total; start += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                var count = Math.Min(batchSize, total - start);
                using (var scope = torch.NewDisposeScope())
                    parts.Add(encode(start, count).MoveToOuterScope());
                progress?.Report(start + count);
            }
            return parts.Count == 1 ? parts[0].alias() : torch.cat(parts);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }
}
