using RegionClip.Data;
using RegionClip.Torch;

namespace RegionClip.Structures;

/// <summary>detectron2's test-time ResizeShortestEdge: the short side to MinSize unless the long side would pass MaxSize.</summary>
public sealed record DetectionResize(int MinSize = 800, int MaxSize = 1333)
{
    public static DetectionResize Default { get; } = new();
}

/// <summary>
/// One image as RegionCLIP's detector sees it: resized with PIL-exact bilinear
/// resampling, CLIP-normalised, no padding. Remembers both sizes so boxes can move between the
/// original image's pixels and the resized input's.
/// </summary>
public sealed class DetectionImage : IDisposable
{
    private DetectionImage(Tensor resized, Tensor pixels, int originalHeight, int originalWidth, string? source)
    {
        Resized = resized;
        Pixels = pixels;
        OriginalHeight = originalHeight;
        OriginalWidth = originalWidth;
        Source = source;
    }

    /// <summary>uint8 [Height, Width, 3] RGB: the resized image before normalisation (what an offline RPN starts from).</summary>
    public Tensor Resized { get; }
    /// <summary>float32 [3, Height, Width], CLIP mean/std normalised.</summary>
    public Tensor Pixels { get; }
    public int OriginalHeight { get; }
    public int OriginalWidth { get; }
    public int Height => (int)Pixels.size(1);
    public int Width => (int)Pixels.size(2);
    /// <summary>The file it came from, for messages (null for in-memory images).</summary>
    public string? Source { get; }

    /// <summary>Prepares an RGB uint8 [H, W, 3] image (the caller keeps ownership of it).</summary>
    public static DetectionImage Prepare(Tensor rgb, DetectionResize? resize = null, string? source = null)
    {
        resize ??= DetectionResize.Default;
        int h = (int)rgb.size(0), w = (int)rgb.size(1);
        var (newH, newW) = ClipPreprocess.ShortestEdgeSize(h, w, resize.MinSize, resize.MaxSize);
        if (newH < 1 || newW < 1) throw TooSmall(source, w, h, newW, newH, 1);
        using var scope = torch.NewDisposeScope();
        var resized = ClipPreprocess.ResizeShortestEdge(rgb, resize.MinSize, resize.MaxSize);
        var pixels = ClipPreprocess.Normalize(resized);
        return new DetectionImage(resized.DetachFromDisposeScope(), pixels.DetachFromDisposeScope(), (int)rgb.size(0), (int)rgb.size(1), source);
    }

    /// <summary>The error for an image whose resized size falls below <paramref name="minSide"/> pixels on a side.</summary>
    internal static InvalidDataException TooSmall(string? source, int width, int height, int newWidth, int newHeight, int minSide) =>
        new($"{(source is null ? "an image" : $"'{source}'")} ({width}×{height}) is too small for this model after resizing: it becomes " +
            $"{newWidth}×{newHeight} pixels, and the network needs at least {minSide} on each side; crop or pad it, or allow a larger --max-size");

    /// <summary>Decodes and prepares a JPEG/PNG file.</summary>
    public static DetectionImage Load(string path, DetectionResize? resize = null)
    {
        using var rgb = ImageIO.Read(path);
        return Prepare(rgb, resize, path);
    }

    /// <summary>
    /// Original-image XYXY boxes [K, 4] → the resized input's pixels, as detectron2's ResizeTransform
    /// does (x · newW / W, y · newH / H).
    /// </summary>
    public Tensor ToInput(Tensor boxes)
    {
        using var scope = torch.NewDisposeScope();
        using var factors = torch.tensor(new[] { Sx, Sy, Sx, Sy });
        return (boxes.to(ScalarType.Float64) * factors).to(ScalarType.Float32).MoveToOuterScope();
    }

    /// <summary>
    /// Resized-input boxes [K, 4] → original pixels as detectron2's detector_postprocess does:
    /// scale in float32, clip to the original size. Empty boxes are left to the caller.
    /// </summary>
    public Tensor ToOriginal(Tensor boxes)
    {
        using var scope = torch.NewDisposeScope();
        double bx = (double)OriginalWidth / Width, by = (double)OriginalHeight / Height;
        var b = boxes.to(ScalarType.Float32).clone();
        using (var xs = b[.., TensorIndex.Slice(0, null, 2)]) xs.mul_(bx);
        using (var ys = b[.., TensorIndex.Slice(1, null, 2)]) ys.mul_(by);
        return RegionClip.Torch.Vision.ops.clip_boxes_to_image(b, (OriginalHeight, OriginalWidth)).MoveToOuterScope();
    }

    private double Sx => (double)Width / OriginalWidth;
    private double Sy => (double)Height / OriginalHeight;

    public void Dispose()
    {
        Resized.Dispose();
        Pixels.Dispose();
    }
}
