using RegionClip.Torch;
using RegionClip.Torch.nn;
using RegionClip.Torch.Vision;

namespace RegionClip.Visualization;

/// <summary>
/// The picture under the boxes: encoded JPEG or PNG bytes, and the size of the coordinate space
/// the boxes use (the original image's width and height). The bytes may hold a smaller copy: it
/// is stretched over <paramref name="Width"/> × <paramref name="Height"/>.
/// </summary>
public sealed record EmbeddedImage(byte[] Bytes, string MimeType, int Width, int Height)
{
    /// <summary>Encodes decoded pixels (uint8 [H, W, 3], EXIF orientation already applied) as a JPEG.</summary>
    /// <param name="maxSide">Larger images are shrunk (bilinear) to this longest side before encoding,
    /// keeping SVG files small; the boxes keep the original coordinates.</param>
    /// <param name="quality">JPEG quality 1..100.</param>
    /// <remarks>Prefer this to a file's own bytes when the file has an EXIF orientation: viewers
    /// differ on whether they rotate an embedded image, the boxes are in the rotated frame.</remarks>
    public static EmbeddedImage FromPixels(Tensor rgb, int maxSide = 1280, int quality = 85)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 1);
        var shape = rgb.shape;
        if (rgb.dtype != ScalarType.UInt8 || shape.Length != 3 || shape[2] != 3)
            throw new ArgumentException($"expected RGB pixels uint8 [H, W, 3]; got {rgb.dtype.Name()}[{string.Join(", ", shape)}]", nameof(rgb));
        long height = shape[0], width = shape[1];
        if (height < 1 || width < 1 || height > int.MaxValue || width > int.MaxValue)
            throw new ArgumentException($"image size {width}x{height} cannot be drawn", nameof(rgb));
        long longest = Math.Max(height, width);
        if (longest <= maxSide)
            return new EmbeddedImage(image.encode_jpeg(rgb, quality), "image/jpeg", (int)width, (int)height);
        double scale = (double)maxSide / longest;
        using var small = image.resize(rgb, Math.Max(1, (long)Math.Round(height * scale)), Math.Max(1, (long)Math.Round(width * scale)), InterpolationMode.Bilinear);
        return new EmbeddedImage(image.encode_jpeg(small, quality), "image/jpeg", (int)width, (int)height);
    }

    internal void Validate()
    {
        if (Bytes is null || Bytes.Length == 0) throw new ArgumentException("the embedded image has no bytes");
        if (MimeType is not ("image/jpeg" or "image/png"))
            throw new ArgumentException($"the embedded image must be image/jpeg or image/png, not \"{MimeType}\"");
        if (Width < 1 || Height < 1) throw new ArgumentException($"the embedded image size must be positive, got {Width}x{Height}");
    }
}
