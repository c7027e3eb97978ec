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

    /// <summary>Writes <paramref name="value"/> as JSON to the file <paramref name="name"/> here; returns its path.</summary>
    public string WriteJson(string name, object value)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(value));
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(FullName, recursive: true); } catch (IOException) { }
    }
}
