using RegionClip.Torch;
using RegionClip.Torch.nn;
using RegionClip.Torch.Vision;

namespace RegionClip.Data;

/// <summary>The resampling filters of PIL's <c>Image.resize</c> that the pipelines use.</summary>
public enum ResampleFilter
{
    /// <summary>PIL BILINEAR: triangle filter, support 1 (widened by the down-scale factor).</summary>
    Bilinear,

    /// <summary>PIL BICUBIC: Keys cubic with a = −0.5, support 2 (widened by the down-scale factor).</summary>
    Bicubic,
}

/// <summary>
/// PIL's <c>Image.resize</c> of an 8-bit image, reproduced bit for bit by the native shim (Pillow's
/// algorithm: a separable convolution whose support grows with the down-scale factor, a horizontal
/// pass then a vertical one, each rounding to uint8 through 22-bit fixed-point weights).
/// </summary>
/// <remarks>
/// Why not <c>F.interpolate(x, antialias: true)</c> on floats: it computes the same kernel but in one
/// float pass, and PIL rounds and clips between the passes; measured against PIL that is off by up to
/// 8 levels when shrinking and 29 when up-scaling with bicubic (two float passes with rounding in
/// between: ±1 on a few pixels). The integer version is exact and as fast as PIL.
/// </remarks>
public static class PilResize
{
    /// <summary>Resizes a uint8 image [H, W, C] to [height, width, C] as PIL would.</summary>
    public static Tensor Resize(Tensor source, int height, int width, ResampleFilter filter) =>
        image.resize(source, height, width, filter == ResampleFilter.Bicubic ? InterpolationMode.Bicubic : InterpolationMode.Bilinear);
}
