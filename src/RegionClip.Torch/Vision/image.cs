using RegionClip.Torch.Native;
using RegionClip.Torch.nn;

namespace RegionClip.Torch.Vision;

/// <summary>Image file formats the native codecs know, from the file's first bytes.</summary>
public enum ImageFormat
{
    Unknown = 0,
    Jpeg = 1,
    Png = 2,
}

/// <summary>
/// JPEG (libjpeg-turbo) and PNG (libpng) decoding and encoding of RGB uint8 tensors [H, W, 3],
/// in the spirit of torchvision.io but in HWC layout, as PIL's <c>np.asarray(image)</c> gives.
/// Decoding yields what PIL's <c>Image.open</c> + <c>ImageOps.exif_transpose</c> +
/// <c>convert("RGB")</c> yields: gray replicated, CMYK converted, alpha dropped, 16-bit samples
/// reduced to their high byte, a JPEG's EXIF orientation applied.
/// </summary>
/// <remarks>
/// Errors: a missing file is a <see cref="FileNotFoundException"/>; a file that cannot be opened
/// or read an <see cref="IOException"/>; data that is not a JPEG/PNG, or is corrupt or truncated,
/// an <see cref="InvalidDataException"/>. Every message names the file.
/// </remarks>
public static class image
{
    /// <summary>False when the native library was built without libjpeg/libpng.</summary>
    public static bool codecs_available => NativeMethods.rc_image_codecs_available() != 0;

    /// <summary>PIL's decompression-bomb limit, the default of <see cref="max_pixels"/>.</summary>
    public const long default_max_pixels = 178_956_970;

    /// <summary>
    /// The most pixels (width × height) a decoded image may have; a larger one is refused from its
    /// header, before any memory is taken, with an <see cref="InvalidDataException"/>. Process-wide.
    /// See <c>RegionClip.Data.ImageIO.MaxPixels</c>.
    /// </summary>
    public static long max_pixels
    {
        get => NativeMethods.rc_image_max_pixels();
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1L);
            Check.Ok(NativeMethods.rc_image_set_max_pixels(value), "image.max_pixels");
        }
    }

    /// <summary>The format announced by the magic bytes (nothing else is checked).</summary>
    public static unsafe ImageFormat sniff(ReadOnlySpan<byte> data)
    {
        int format;
        fixed (byte* p = data)
            Check.Ok(NativeMethods.rc_image_sniff(p, data.Length, out format), "image.sniff");
        return (ImageFormat)format;
    }

    /// <summary>Decodes a JPEG or PNG file into a new uint8 tensor [H, W, 3] (RGB).</summary>
    /// <param name="exifTranspose">Apply the JPEG's EXIF orientation (PIL's ImageOps.exif_transpose).</param>
    public static Tensor read(string path, bool exifTranspose = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"image file '{path}' does not exist", path);
        if (NativeMethods.rc_image_read(path, Flags(exifTranspose), out var o) != 0) throw Failure();
        return Tensor.Wrap(o);
    }

    /// <summary>Decodes a JPEG or PNG held in memory; <paramref name="name"/> labels error messages.</summary>
    public static unsafe Tensor decode(ReadOnlySpan<byte> data, string? name = null, bool exifTranspose = true)
    {
        IntPtr o;
        int status;
        fixed (byte* p = data)
            status = NativeMethods.rc_image_decode(p, data.Length, name, Flags(exifTranspose), out o);
        if (status != 0) throw Failure();
        return Tensor.Wrap(o);
    }

    /// <summary>
    /// PIL's <c>Image.resize((width, height), BILINEAR | BICUBIC)</c> of a uint8 image [H, W, C], bit for
    /// bit: separable, antialiased when shrinking (the kernel widens with the scale factor), horizontal
    /// pass first, Pillow's 22-bit fixed-point weights, rounding to uint8 after each pass.
    /// </summary>
    public static Tensor resize(Tensor image, long height, long width, InterpolationMode mode)
    {
        ArgumentNullException.ThrowIfNull(image);
        int filter = mode switch
        {
            InterpolationMode.Bilinear => NativeMethods.RC_RESAMPLE_BILINEAR,
            InterpolationMode.Bicubic => NativeMethods.RC_RESAMPLE_BICUBIC,
            _ => throw new ArgumentException($"image.resize supports bilinear and bicubic, not {mode}", nameof(mode)),
        };
        var shape = image.shape;
        if (image.dtype != ScalarType.UInt8 || shape.Length != 3)
            throw new ArgumentException($"image.resize expects a uint8 image [H, W, C]; got {image.dtype.Name()}[{string.Join(", ", shape)}]", nameof(image));
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"output size must be positive, got {height}x{width}");
        Check.Ok(NativeMethods.rc_image_resize(image.Handle, height, width, filter, out var o), "image.resize", image);
        return Tensor.Wrap(o);
    }

    /// <summary>The PNG file bytes of a uint8 image [H, W, 3] (RGB) or [H, W] (gray); lossless.</summary>
    public static byte[] encode_png(Tensor image)
    {
        CheckImage(image, "image.encode_png");
        Check.Ok(NativeMethods.rc_image_encode_png(image.Handle, out var o), "image.encode_png", image);
        return Bytes(o);
    }

    /// <summary>The JPEG file bytes of a uint8 image [H, W, 3] (RGB) or [H, W] (gray); 4:2:0 chroma.</summary>
    /// <param name="quality">1..100, libjpeg's (and PIL's) quality scale.</param>
    public static byte[] encode_jpeg(Tensor image, int quality = 90)
    {
        CheckImage(image, "image.encode_jpeg");
        CheckQuality(quality);
        Check.Ok(NativeMethods.rc_image_encode_jpeg(image.Handle, quality, out var o), "image.encode_jpeg", image);
        return Bytes(o);
    }

    /// <summary>Writes a uint8 image [H, W, 3] (RGB) or [H, W] (gray) as a PNG file (created or replaced).</summary>
    public static void write_png(Tensor image, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckImage(image, "image.write_png");
        if (NativeMethods.rc_image_write_png(image.Handle, path) != 0) throw WriteFailure("image.write_png", image);
    }

    /// <summary>Writes a uint8 image [H, W, 3] (RGB) or [H, W] (gray) as a JPEG file (created or replaced).</summary>
    public static void write_jpeg(Tensor image, string path, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckImage(image, "image.write_jpeg");
        CheckQuality(quality);
        if (NativeMethods.rc_image_write_jpeg(image.Handle, path, quality) != 0) throw WriteFailure("image.write_jpeg", image);
    }

    private static int Flags(bool exifTranspose) => exifTranspose ? 0 : NativeMethods.RC_IMAGE_KEEP_ORIENTATION;

    // The image area's native messages start with "cannot" exactly when the file system failed.
    private static Exception Failure()
    {
        var message = TorchException.LastNativeError();
        return message.StartsWith("cannot ", StringComparison.Ordinal) ? new IOException(message) : new InvalidDataException(message);
    }

    private static Exception WriteFailure(string op, Tensor image)
    {
        var message = TorchException.LastNativeError();
        return message.StartsWith("cannot ", StringComparison.Ordinal)
            ? new IOException(message)
            : new TorchException($"{op}({image.dtype.Name()}[{string.Join(", ", image.shape)}]): {message}") { Operation = op };
    }

    private static void CheckImage(Tensor image, string op)
    {
        ArgumentNullException.ThrowIfNull(image);
        var shape = image.shape;
        bool ok = image.dtype == ScalarType.UInt8 && (shape.Length == 2 || (shape.Length == 3 && (shape[2] == 3 || shape[2] == 1)));
        if (!ok)
            throw new ArgumentException($"{op} expects a uint8 image [H, W, 3] (RGB) or [H, W] (gray); got {image.dtype.Name()}[{string.Join(", ", shape)}]", nameof(image));
        if (shape[0] == 0 || shape[1] == 0)
            throw new ArgumentException($"{op} got an empty image [{string.Join(", ", shape)}]", nameof(image));
    }

    private static void CheckQuality(int quality)
    {
        if (quality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(quality), quality, "JPEG quality must be in 1..100");
    }

    private static byte[] Bytes(IntPtr handle)
    {
        using var t = Tensor.Wrap(handle);
        return t.data<byte>();
    }
}
