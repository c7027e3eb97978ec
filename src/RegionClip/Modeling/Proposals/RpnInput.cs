using RegionClip.Data;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>How a proposal network wants its pixels.</summary>
public enum RpnPixelFormat
{
    /// <summary>detectron2's default: BGR, 0–255 scale, minus the Caffe mean, std 1.</summary>
    Caffe,
    /// <summary>The CLIP backbone's: RGB / 255, minus CLIP's mean, divided by CLIP's std (as <see cref="ClipPreprocess.Normalize"/>).</summary>
    Clip,
}

/// <summary>
/// The offline branch's input: RGB uint8 [H, W, 3] → BGR float, minus the Caffe
/// mean (std 1, 0–255 scale), zero-padded bottom/right to the batch's largest size rounded up to the
/// backbone's size divisibility — detectron2's ImageList.from_tensors. The CLIP-backbone RPN
/// normalises as CLIP instead (<see cref="RpnPixelFormat.Clip"/>).
/// </summary>
public static class RpnInput
{
    /// <summary>detectron2's default PIXEL_MEAN, BGR.</summary>
    public static IReadOnlyList<double> PixelMean { get; } = [103.530, 116.280, 123.675];

    /// <summary>detectron2's default PIXEL_STD, BGR.</summary>
    public static IReadOnlyList<double> PixelStd { get; } = [1.0, 1.0, 1.0];

    /// <summary>The padded batch [N, 3, H', W'] (Caffe format) and each image's true (height, width).</summary>
    public static (Tensor batch, (int h, int w)[] sizes) Batch(IReadOnlyList<Tensor> rgb, int sizeDivisibility) =>
        Batch(rgb, sizeDivisibility, RpnPixelFormat.Caffe);

    /// <summary>The padded batch [N, 3, H', W'] in <paramref name="format"/> and each image's true (height, width).</summary>
    public static (Tensor batch, (int h, int w)[] sizes) Batch(IReadOnlyList<Tensor> rgb, int sizeDivisibility, RpnPixelFormat format)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Count == 0) throw new ArgumentException("no images", nameof(rgb));
        for (int i = 0; i < rgb.Count; i++) Check(rgb[i], i);
        using var scope = torch.NewDisposeScope();
        var sizes = rgb.Select(t => ((int)t.size(0), (int)t.size(1))).ToArray();
        long h = sizes.Max(s => s.Item1), w = sizes.Max(s => s.Item2);
        if (sizeDivisibility > 1)
        {
            h = (h + sizeDivisibility - 1) / sizeDivisibility * sizeDivisibility;
            w = (w + sizeDivisibility - 1) / sizeDivisibility * sizeDivisibility;
        }
        var mean = torch.tensor(PixelMean.Select(v => (float)v).ToArray(), 3, 1, 1);
        var std = torch.tensor(PixelStd.Select(v => (float)v).ToArray(), 3, 1, 1);
        var batch = torch.zeros([rgb.Count, 3, h, w]);
        for (int i = 0; i < rgb.Count; i++)
        {
            var normalised = format == RpnPixelFormat.Clip
                ? ClipPreprocess.Normalize(rgb[i])
                : (rgb[i].permute(2, 0, 1).flip(0).to(ScalarType.Float32) - mean) / std;   // HWC RGB -> CHW BGR
            batch[i].narrow(1, 0, sizes[i].Item1).narrow(2, 0, sizes[i].Item2).copy_(normalised);
        }
        return (batch.MoveToOuterScope(), sizes);
    }

    private static void Check(Tensor image, int index)
    {
        ArgumentNullException.ThrowIfNull(image, $"images[{index}]");
        if (image.dtype != ScalarType.UInt8 || image.ndim != 3 || image.size(2) != 3 || image.size(0) < 1 || image.size(1) < 1)
            throw new ArgumentException($"image {index} must be an RGB uint8 [H, W, 3] tensor with H, W ≥ 1 (a resized DetectionImage.Resized); got {image.dtype.Name()}[{string.Join(", ", image.shape)}]");
    }
}
