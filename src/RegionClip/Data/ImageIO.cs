using RegionClip.Torch;
using RegionClip.Torch.Vision;

namespace RegionClip.Data;

/// <summary>
/// Reads and writes image files as RGB uint8 tensors [H, W, 3] (HWC, as detectron2's
/// <c>read_image(..., "RGB")</c> gives). JPEG through libjpeg-turbo, PNG through libpng.
/// </summary>
/// <remarks>
/// Decoded pixels equal PIL's <c>ImageOps.exif_transpose(Image.open(f)).convert("RGB")</c> (the
/// same libjpeg-turbo, the same CMYK formula), except for 16-bit grayscale PNGs, which PIL clips
/// to 255 and this reader reduces to their high byte. A missing file throws
/// <see cref="FileNotFoundException"/>; a corrupt, truncated or non-image file throws
/// <see cref="InvalidDataException"/> whose message names the file.
/// </remarks>
public static class ImageIO
{
    /// <summary>
    /// The most pixels (width × height) an image may declare; a file over it is refused from its
    /// header with <see cref="InvalidDataException"/>, before any memory is taken, as PIL refuses
    /// decompression bombs (a few hundred bytes of JPEG can declare 65000×65000 pixels, 12 GB of
    /// RGB). The default, 178,956,970 (about 13,400×13,400), is PIL's; raise it for huge images,
    /// e.g. <c>ImageIO.MaxPixels = 40_000L * 40_000</c>, or <see cref="long.MaxValue"/> for no
    /// limit. The setting is process-wide and applies to every read and decode.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public static long MaxPixels
    {
        get => image.max_pixels;
        set => image.max_pixels = value;
    }

    /// <summary>Decodes a JPEG or PNG file, applying a JPEG's EXIF orientation.</summary>
    public static Tensor Read(string path) => image.read(path);

    /// <summary>Decodes a JPEG or PNG file; with <paramref name="applyExifOrientation"/> false the stored pixel order is kept.</summary>
    public static Tensor Read(string path, bool applyExifOrientation) => image.read(path, applyExifOrientation);

    /// <summary>Decodes a JPEG or PNG held in memory; <paramref name="name"/> labels error messages.</summary>
    public static Tensor Decode(ReadOnlySpan<byte> data, string? name = null) => image.decode(data, name);

    /// <summary>Writes a uint8 [H, W, 3] RGB (or [H, W] gray) tensor as a PNG file; lossless.</summary>
    public static void WritePng(Tensor rgb, string path) => image.write_png(rgb, path);

    /// <summary>Writes a uint8 [H, W, 3] RGB (or [H, W] gray) tensor as a JPEG file with the given quality (1..100).</summary>
    public static void WriteJpeg(Tensor rgb, string path, int quality = 90) => image.write_jpeg(rgb, path, quality);

    /// <summary>Writes PNG or JPEG by the file extension (.png, or .jpg/.jpeg).</summary>
    public static void Write(Tensor rgb, string path, int jpegQuality = 90)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
        {
            case ".png": WritePng(rgb, path); break;
            case ".jpg" or ".jpeg": WriteJpeg(rgb, path, jpegQuality); break;
            default: throw new ArgumentException($"cannot tell the image format of '{path}': use a .png, .jpg or .jpeg name", nameof(path));
        }
    }
}
