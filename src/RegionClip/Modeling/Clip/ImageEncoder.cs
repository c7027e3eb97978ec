using RegionClip.Data;
using RegionClip.Torch;

namespace RegionClip.Modeling.Clip;

/// <summary>A file that could not be used, and why (one line).</summary>
public sealed record ImageFailure(string Path, string Reason);

/// <summary>Embeddings of the files that could be read (rows in <see cref="Paths"/> order), and those that could not.</summary>
public sealed class EncodedImages(IReadOnlyList<string> paths, Tensor embeddings, IReadOnlyList<ImageFailure> failures) : IDisposable
{
    public IReadOnlyList<string> Paths { get; } = paths;
    /// <summary>[Paths.Count, EmbedDim], not normalised.</summary>
    public Tensor Embeddings { get; } = embeddings;
    public IReadOnlyList<ImageFailure> Failures { get; } = failures;
    public void Dispose() => Embeddings.Dispose();
}

/// <summary>Image files → CLIP image embeddings (OpenAI preprocessing), in batches, under inference mode.</summary>
public sealed class ImageEncoder(ClipModel model, int batchSize = 32)
{
    public ClipModel Model { get; } = model;

    /// <summary>[paths.Count, EmbedDim], not normalised (CLIP's encode_image). Any unreadable file fails the call.</summary>
    public Tensor EncodeFiles(IReadOnlyList<string> paths, IProgress<int>? progress = null, CancellationToken cancel = default) =>
        Encode(paths, kept: null, failures: null, progress, cancel);

    /// <summary>
    /// Like <see cref="EncodeFiles"/>, but a file that cannot be read or preprocessed (corrupt,
    /// truncated, not an image, too large) is listed in <see cref="EncodedImages.Failures"/> and the
    /// others are still encoded.
    /// </summary>
    public EncodedImages EncodeReadableFiles(IReadOnlyList<string> paths, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var kept = new List<string>();
        var failures = new List<ImageFailure>();
        var embeddings = Encode(paths, kept, failures, progress, cancel);
        return new EncodedImages(kept, embeddings, failures);
    }

    /// <summary>
    /// Reads, preprocesses and encodes the files in batches. With <paramref name="failures"/>, a file that
    /// cannot be used is listed there and left out (<paramref name="kept"/> lists the rest); without, it throws.
    /// </summary>
    private Tensor Encode(IReadOnlyList<string> paths, List<string>? kept, List<ImageFailure>? failures, IProgress<int>? progress, CancellationToken cancel)
    {
        if (paths.Count == 0) throw new ArgumentException("no images to encode");
        return Batching.Encode(paths.Count, batchSize, (start, count) =>
        {
            var pixels = new List<Tensor>();
            foreach (var path in paths.Skip(start).Take(count))
            {
                try
                {
                    using var rgb = ImageIO.Read(path);
                    pixels.Add(ClipPreprocess.Transform(rgb, Model.Config.ImageResolution));
                    kept?.Add(path);
                }
                catch (Exception e) when (failures is not null && e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    failures.Add(new ImageFailure(path, e.Message.Contains(path, StringComparison.Ordinal) ? e.Message : $"'{path}': {e.Message}"));
                }
            }
            if (pixels.Count == 0) return torch.zeros(0, Model.Config.EmbedDim);
            using var batch = torch.stack(pixels.ToArray());
            return Model.encode_image(batch);
        }, progress, cancel);
    }
}
