using System.Runtime.InteropServices;

namespace RegionClip.Torch.Native;

/// <summary>
/// How libtorch's OpenMP threads wait at the end of a parallel region. libgomp's default spins up to
/// 300,000 rounds before sleeping: on a quiet machine that saves a wake-up, but beside another busy
/// process each waiting thread burns the core the other process's work needs, and both crawl (training
/// loops were seen 30–40× slower). A short spin keeps the quiet speed and yields the core to whoever has work.
/// </summary>
/// <remarks>
/// libgomp reads its environment once, when it is loaded (with libtorch, by the shim), so this runs just
/// before the shim is loaded. .NET's Environment.SetEnvironmentVariable does not reach the C library's
/// environment on Linux, hence setenv. A user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT is left as it is.
/// </remarks>
internal static partial class OpenMpWaitPolicy
{
    /// <summary>Spin rounds before a waiting thread sleeps: microseconds, not libgomp's milliseconds.</summary>
    internal const string SpinCount = "10000";

    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GOMP_SPINCOUNT")))
            return;
        try
        {
            setenv("GOMP_SPINCOUNT", SpinCount, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc: libgomp's default stays
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
