using System.Runtime.CompilerServices;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace RegionClip.Torch.Tests;

/// <summary>
/// Base for tests that touch tensors: fails the test if it leaves native tensors alive.
/// (Tests run one at a time, so the process-wide count is this test's own.)
/// </summary>
public abstract class TorchTest : IDisposable
{
    private readonly long _baseline = torch.LiveTensorCount;

    public virtual void Dispose()
    {
        var live = torch.LiveTensorCount;
        Assert.True(live == _baseline, $"{GetType().Name} leaked {live - _baseline} native tensor(s)");
        GC.SuppressFinalize(this);
    }
}

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

public sealed class TempDir : IDisposable
{
    public TempDir(string name)
    {
        FullName = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rc-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(FullName);
    }

    public string FullName { get; }
    public string File(string name) => System.IO.Path.Combine(FullName, name);

    public void Dispose()
    {
        try { Directory.Delete(FullName, recursive: true); } catch (IOException) { }
    }
}
