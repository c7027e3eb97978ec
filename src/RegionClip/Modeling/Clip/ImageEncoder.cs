using RegionClip.Data;
using RegionClip.Torch;

namespace RegionClip.Modeling.Clip;

/// <summary>Image files → CLIP image embeddings (OpenAI preprocessing), in batches, under inference mode.</summary>
public sealed class ImageEncoder(ClipModel model, int batchSize = 32)
{
    public ClipModel Model { get; } = model;

    /// <summary>[paths.Count, EmbedDim], not normalised (CLIP's encode_image).</summary>
    public Tensor EncodeFiles(IReadOnlyList<string> paths, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        if (paths.Count == 0) throw new ArgumentException("no images to encode");
        var parts = new List<Tensor>();
        try
        {
            using var _ = torch.inference_mode();
            for (int start = 0; start < paths.Count; start += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var images = paths.Skip(start).Take(batchSize).Select(ImageIO.Read).ToList();
                var batch = ClipPreprocess.TransformBatch(images, Model.Config.ImageResolution);
                parts.Add(Model.encode_image(batch).MoveToOuterScope());
                progress?.Report(Math.Min(start + batchSize, paths.Count));
            }
            return parts.Count == 1 ? parts[0].alias() : torch.cat(parts);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }
}
