using System.Runtime.CompilerServices;

namespace RegionClip.Torch.Tests;

/// <summary>Locates committed fixtures under tests/fixtures.</summary>
public static class Fixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "fixtures");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures not found above " + AppContext.BaseDirectory);
    });

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    /// <summary>A fresh temporary directory, deleted when disposed.</summary>
    public static TempDir TempDir([CallerMemberName] string name = "") => new(name);
}
