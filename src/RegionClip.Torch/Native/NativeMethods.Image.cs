using System.Runtime.InteropServices;

namespace RegionClip.Torch.Native;

/// <summary>P/Invoke declarations of native/include/regionclip_image.h (image codecs).</summary>
internal static partial class NativeMethods
{
    internal const int RC_IMAGE_KEEP_ORIENTATION = 1;
    internal const int RC_RESAMPLE_BILINEAR = 2;
    internal const int RC_RESAMPLE_BICUBIC = 3;

    [LibraryImport(Lib)] internal static partial int rc_image_codecs_available();
    [LibraryImport(Lib)] internal static partial int rc_image_set_max_pixels(long limit);
    [LibraryImport(Lib)] internal static partial long rc_image_max_pixels();
    [LibraryImport(Lib)] internal static unsafe partial int rc_image_sniff(byte* data, long size, out int format);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int rc_image_read(string path, int flags, out IntPtr o);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static unsafe partial int rc_image_decode(byte* data, long size, string? name, int flags, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_image_resize(TensorHandle image, long outH, long outW, int filter, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_image_encode_png(TensorHandle image, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_image_encode_jpeg(TensorHandle image, int quality, out IntPtr o);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int rc_image_write_png(TensorHandle image, string path);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int rc_image_write_jpeg(TensorHandle image, string path, int quality);
}
