using System.Runtime.CompilerServices;

namespace RegionClip.Tests;

/// <summary>Paths to the repository's fixtures and to the team's ../shared folder (optional).</summary>
public static class Paths
{
    private static readonly Lazy<string> RepoRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RegionClip.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (RegionClip.slnx) not found above " + AppContext.BaseDirectory);
    });

    public static string Fixture(params string[] parts) => Path.Combine([RepoRoot.Value, "tests", "fixtures", .. parts]);

    /// <summary>A file under ../shared beside the clone, or null when an outside clone has no shared folder.</summary>
    public static string? Shared(params string[] parts)
    {
        var p = Path.Combine([RepoRoot.Value, "..", "shared", .. parts]);
        return File.Exists(p) ? Path.GetFullPath(p) : null;
    }

    /// <summary>Skips (visibly, with the reason) when a ../shared file is absent.</summary>
    public static string RequireShared(params string[] parts)
    {
        var p = Shared(parts);
        Skip.If(p is null, $"../shared/{string.Join('/', parts)} is absent (outside clone): skipped");
        return p!;
    }

    public static TempDir TempDir([CallerMemberName] string name = "") => new(name);
}
