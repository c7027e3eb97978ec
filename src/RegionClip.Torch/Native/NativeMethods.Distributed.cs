using System.Runtime.InteropServices;

namespace RegionClip.Torch.Native;

/// <summary>P/Invoke declarations of native/include/regionclip_distributed.h (c10d process group).</summary>
internal static partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial int rc_dist_is_available();
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int rc_dist_is_backend_available(string backend);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rc_dist_init(string backend, string host, int port, int rank, int worldSize, long timeoutMs);

    [LibraryImport(Lib)] internal static partial int rc_dist_is_initialized();
    [LibraryImport(Lib)] internal static partial int rc_dist_rank(out int rank);
    [LibraryImport(Lib)] internal static partial int rc_dist_world_size(out int size);
    [LibraryImport(Lib)] internal static partial int rc_dist_all_reduce(TensorHandle t, int op);
    [LibraryImport(Lib)] internal static partial int rc_dist_broadcast(TensorHandle t, int src);
    [LibraryImport(Lib)] internal static partial int rc_dist_all_gather(TensorHandle t, out IntPtr list);
    [LibraryImport(Lib)] internal static partial int rc_dist_all_gather_autograd(TensorHandle t, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_dist_barrier();
    [LibraryImport(Lib)] internal static partial int rc_dist_destroy();
}
