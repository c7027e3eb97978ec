using RegionClip.Torch;

namespace RegionClip.Data;

/// <summary>
/// Image preprocessing of OpenAI CLIP (<c>clip._transform</c>: Resize bicubic, CenterCrop, ToTensor,
/// Normalize) and of RegionCLIP detection (ResizeShortestEdge with PIL bilinear, then the
/// same normalisation, no crop). Inputs are RGB uint8 tensors [H, W, 3] as <see cref="ImageIO"/>
/// reads them; resizing reproduces PIL exactly (<see cref="PilResize"/>).
/// </summary>
public static class ClipPreprocess
{
    /// <summary>CLIP's per-channel RGB mean, on the 0–1 scale.</summary>
    public static IReadOnlyList<float> Mean { get; } = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>CLIP's per-channel RGB standard deviation, on the 0–1 scale.</summary>
    public static IReadOnlyList<float> Std { get; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>The longest side to shortest side ratio <see cref="Transform"/> accepts.</summary>
    public const int MaxAspect = 64;

    /// <summary>
    /// OpenAI CLIP's preprocessing: shorter side to <paramref name="nPx"/> (bicubic), center crop
    /// nPx × nPx, /255, normalise. Returns float32 [3, nPx, nPx].
    /// </summary>
    public static Tensor Transform(Tensor rgb, int nPx)
    {
        var (h, w) = ImageSize(rgb, nameof(Transform));
        var (newH, newW) = ShorterSideSize(h, w, nPx);
        // The resize comes before the crop, so a 20000×1 strip would become 224×4,480,000 (3 GB) first.
        if (Math.Max(newH, newW) > MaxAspect * nPx)
            throw new InvalidDataException($"a {w}×{h} image is too elongated for CLIP's preprocessing (it would be resized to {newW}×{newH} before the {nPx}-pixel center crop); crop it first");
        using var scope = torch.NewDisposeScope();
        var resized = ResizeShorterSide(rgb, nPx, ResampleFilter.Bicubic);
        var cropped = CenterCrop(resized, nPx);
        return Normalize(cropped).MoveToOuterScope();
    }

    /// <summary><see cref="Transform"/> of several images (any sizes), stacked to float32 [N, 3, nPx, nPx].</summary>
    public static Tensor TransformBatch(IReadOnlyList<Tensor> images, int nPx)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("no images to preprocess", nameof(images));
        using var scope = torch.NewDisposeScope();
        var each = new Tensor[images.Count];
        for (int i = 0; i < each.Length; i++) each[i] = Transform(images[i], nPx);
        return torch.stack(each).MoveToOuterScope();
    }

    /// <summary>
    /// torchvision's <c>Resize(size)</c> with an int size: the shorter side becomes <paramref name="size"/>,
    /// the longer <c>int(size * long / short)</c> (truncated); aspect kept. uint8 [H, W, C] in and out.
    /// </summary>
    public static Tensor ResizeShorterSide(Tensor rgb, int size, ResampleFilter filter = ResampleFilter.Bicubic)
    {
        var (h, w) = ImageSize(rgb, nameof(ResizeShorterSide));
        var (newH, newW) = ShorterSideSize(h, w, size);
        return PilResize.Resize(rgb, newH, newW, filter);
    }

    /// <summary>The output size (height, width) of torchvision's <c>Resize(size)</c> for an h × w image.</summary>
    public static (int Height, int Width) ShorterSideSize(int height, int width, int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "the shorter side must be at least 1 pixel");
        if (height < 1 || width < 1) throw new ArgumentException($"empty image size {height}×{width}");
        // Python: int(requested_new_short * long / short) — an exact integer product, one rounded division.
        int shorter = Math.Min(height, width), longer = Math.Max(height, width);
        int newLong = (int)((double)((long)size * longer) / shorter);
        return width <= height ? (newLong, size) : (size, newLong);
    }

    /// <summary>
    /// torchvision's <c>Resize([size], max_size)</c> output size (RegionCLIP's pretraining resize): the short side
    /// becomes <paramref name="size"/> and the long side int(size · long / short); when that exceeds
    /// <paramref name="maxSize"/>, the long side becomes maxSize and the short int(maxSize · short / long).
    /// </summary>
    public static (int Height, int Width) ShorterSideSize(int height, int width, int size, int maxSize)
    {
        // torchvision returns an image whose short side already has the size as it is, even when its long side exceeds maxSize.
        if (Math.Min(height, width) == size) return (height, width);
        var (h, w) = ShorterSideSize(height, width, size);
        int shortSide = Math.Min(h, w), longSide = Math.Max(h, w);
        if (longSide <= maxSize) return (h, w);
        int newShort = (int)((double)((long)maxSize * shortSide) / longSide);
        return width <= height ? (maxSize, newShort) : (newShort, maxSize);
    }

    /// <summary>
    /// torchvision's <c>CenterCrop(size)</c> of a [H, W, C] image: top = int(round((H − size) / 2)),
    /// left likewise (Python's round: halves to even); pads with zeros first when the image is smaller.
    /// </summary>
    public static Tensor CenterCrop(Tensor rgb, int size)
    {
        var (h, w) = ImageSize(rgb, nameof(CenterCrop));
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "the crop size must be at least 1 pixel");
        using var scope = torch.NewDisposeScope();
        var src = rgb;
        if (size > h || size > w)
        {
            // torchvision pads (crop − size) // 2 on the left/top and the rest on the right/bottom.
            int padTop = size > h ? (size - h) / 2 : 0, padLeft = size > w ? (size - w) / 2 : 0;
            int newH = Math.Max(h, size), newW = Math.Max(w, size);
            src = torch.zeros([newH, newW, rgb.shape[2]], rgb.dtype);
            using var window = src.narrow(0, padTop, h).narrow(1, padLeft, w);
            window.copy_(rgb);
            (h, w) = (newH, newW);
        }
        int top = (int)Math.Round((h - size) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((w - size) / 2.0, MidpointRounding.ToEven);
        return src.narrow(0, top, size).narrow(1, left, size).contiguous().MoveToOuterScope();
    }

    /// <summary>
    /// uint8 [H, W, 3] RGB → float32 [3, H, W]: x / 255, then (x − mean) / std with CLIP's values, in
    /// float32 and in torchvision's order (ToTensor then Normalize). Also the CLIP branch of detection.
    /// </summary>
    public static Tensor Normalize(Tensor rgb)
    {
        var (_, _) = ImageSize(rgb, nameof(Normalize));
        if (rgb.shape[2] != 3) throw new ArgumentException($"Normalize expects 3 channels (RGB); got [{string.Join(", ", rgb.shape)}]", nameof(rgb));
        using var scope = torch.NewDisposeScope();
        var mean = torch.tensor(Mean.ToArray(), 3, 1, 1);
        var std = torch.tensor(Std.ToArray(), 3, 1, 1);
        var x = rgb.permute(2, 0, 1).to(ScalarType.Float32); // HWC -> CHW
        return x.div_(255).sub_(mean).div_(std).MoveToOuterScope();
    }

    /// <summary>
    /// detectron2's <c>ResizeShortestEdge(shortEdge, maxSize)</c> at test time: the shorter
    /// side to <paramref name="shortEdge"/> unless the longer would exceed <paramref name="maxSize"/>,
    /// sizes rounded half up, PIL bilinear (antialiased) resampling. uint8 [H, W, 3] in and out.
    /// </summary>
    public static Tensor ResizeShortestEdge(Tensor rgb, int shortEdge = 800, int maxSize = 1333)
    {
        var (h, w) = ImageSize(rgb, nameof(ResizeShortestEdge));
        var (newH, newW) = ShortestEdgeSize(h, w, shortEdge, maxSize);
        return PilResize.Resize(rgb, newH, newW, ResampleFilter.Bilinear);
    }

    /// <summary>detectron2's <c>ResizeShortestEdge.get_output_shape</c>, operation for operation.</summary>
    public static (int Height, int Width) ShortestEdgeSize(int height, int width, int shortEdge = 800, int maxSize = 1333)
    {
        if (shortEdge < 1 || maxSize < 1) throw new ArgumentOutOfRangeException(nameof(shortEdge), $"sizes must be positive (short {shortEdge}, max {maxSize})");
        if (height < 1 || width < 1) throw new ArgumentException($"empty image size {height}×{width}");
        double size = shortEdge * 1.0;
        double scale = size / Math.Min(height, width);
        double newH, newW;
        if (height < width) (newH, newW) = (size, scale * width);
        else (newH, newW) = (scale * height, size);
        if (Math.Max(newH, newW) > maxSize)
        {
            scale = maxSize * 1.0 / Math.Max(newH, newW);
            newH *= scale;
            newW *= scale;
        }
        return ((int)(newH + 0.5), (int)(newW + 0.5));
    }

    private static (int Height, int Width) ImageSize(Tensor rgb, string op)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        var shape = rgb.shape;
        if (rgb.dtype != ScalarType.UInt8 || shape.Length != 3)
            throw new ArgumentException($"{op} expects a uint8 image [H, W, 3]; got {rgb.dtype.Name()}[{string.Join(", ", shape)}]", nameof(rgb));
        if (shape[0] < 1 || shape[1] < 1)
            throw new ArgumentException($"{op} got an empty image [{string.Join(", ", shape)}]", nameof(rgb));
        return (checked((int)shape[0]), checked((int)shape[1]));
    }
}
