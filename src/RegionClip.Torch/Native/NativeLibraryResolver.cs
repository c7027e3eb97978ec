using System.Reflection;
using System.Runtime.InteropServices;

namespace RegionClip.Torch.Native;

/// <summary>
/// Finds libregionclip_native.so without LD_LIBRARY_PATH: next to the assembly, in
/// $REGIONCLIP_NATIVE_DIR, or in a build/native folder above the application.
/// </summary>
internal static class NativeLibraryResolver
{
    internal const string LibraryName = "regionclip_native";
    private const string FileName = "libregionclip_native.so";
    private static int _installed;
    private static readonly Lock LoadLock = new();
    private static IntPtr _library;

    internal static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != LibraryName) return IntPtr.Zero;
        // The runtime calls the resolver for every P/Invoke it binds: configure threads only on the
        // first load, or each newly bound function would reset a user's torch.set_num_threads.
        lock (LoadLock)
        {
            if (_library != IntPtr.Zero) return _library;
            foreach (var candidate in Candidates())
            {
                if (!File.Exists(candidate)) continue;
                OpenMpWaitPolicy.Apply();
                var lib = NativeLibrary.Load(candidate);
                ConfigureThreads(lib);
                return _library = lib;
            }
        }
        throw new DllNotFoundException(
            $"{FileName} was not found (looked in: {string.Join(", ", Candidates())}). " +
            "Build it with ./regionclip (or cmake -S native -B build/native && cmake --build build/native), " +
            "or set REGIONCLIP_NATIVE_DIR to the folder that holds it.");
    }

    /// <summary>
    /// Intra-op threads default to the machine's cores (some libtorch builds start with one);
    /// REGIONCLIP_NUM_THREADS overrides, and an explicit OMP_NUM_THREADS is left to libtorch.
    /// </summary>
    private static unsafe void ConfigureThreads(IntPtr lib)
    {
        int threads = Environment.ProcessorCount;
        var setting = Environment.GetEnvironmentVariable("REGIONCLIP_NUM_THREADS");
        if (!string.IsNullOrEmpty(setting))
        {
            if (!int.TryParse(setting, out threads) || threads < 1)
                throw new ArgumentException($"REGIONCLIP_NUM_THREADS must be a positive integer, got '{setting}'");
        }
        else if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_NUM_THREADS")))
        {
            return;
        }
        var set = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(lib, "rc_set_num_threads");
        set(threads);
    }

    private static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("REGIONCLIP_NATIVE_DIR");
        if (!string.IsNullOrEmpty(env)) yield return Path.Combine(env, FileName);
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            yield return Path.Combine(dir.FullName, "build", "native", FileName);
    }
}
