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
        return Batching.Encode(paths.Count, batchSize, (start, count) =>
        {
            var images = paths.Skip(start).Take(count).Select(ImageIO.Read).ToList();
            return Model.encode_image(ClipPreprocess.TransformBatch(images, Model.Config.ImageResolution));
        }, progress, cancel);
    }
}
