namespace RegionClip.Cli.Commands;

/// <summary>IMAGES arguments: files as given, folders expanded to their JPEG/PNG files (sorted, not recursive).</summary>
internal static class ImageFiles
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];

    internal static List<string> Expand(IEnumerable<string> items)
    {
        var files = new List<string>();
        foreach (var item in items)
        {
            if (Directory.Exists(item))
                files.AddRange(Directory.EnumerateFiles(item)
                    .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                    .Order(StringComparer.Ordinal));
            else if (File.Exists(item)) files.Add(item);
            else throw new FileNotFoundException($"image '{item}' does not exist", item);
        }
        if (files.Count == 0) throw new ArgumentException("no images given (list JPEG/PNG files or folders)");
        return files;
    }
}
