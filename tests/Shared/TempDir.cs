// Linked into every test project (see the .csproj files).
namespace RegionClip.Testing;

/// <summary>A fresh temporary directory, deleted with its contents when disposed.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string name)
    {
        FullName = Path.Combine(Path.GetTempPath(), $"rc-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(FullName);
    }

    public string FullName { get; }
    public string File(string name) => Path.Combine(FullName, name);

    public void Dispose()
    {
        try { Directory.Delete(FullName, recursive: true); } catch (IOException) { }
    }
}
