namespace RegionClip.Cli.Commands;

/// <summary>
/// IMAGES arguments: files as given, folders expanded to their JPEG/PNG files (sorted, not
/// recursive), and list files (.txt, .lst): one image or folder per line, relative to the list's
/// folder, blank lines and lines starting with # skipped.
/// </summary>
internal static class ImageFiles
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];
    private static readonly string[] ListExtensions = [".txt", ".lst"];

    internal static List<string> Expand(IEnumerable<string> items)
    {
        var files = new List<string>();
        foreach (var item in items) Add(files, item, listedIn: null);
        if (files.Count == 0) throw new ArgumentException("no images given (list JPEG/PNG files, folders or .txt lists of them)");
        return files;
    }

    private static void Add(List<string> files, string item, string? listedIn)
    {
        if (Directory.Exists(item))
            files.AddRange(Directory.EnumerateFiles(item)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal));
        else if (!File.Exists(item))
            throw new FileNotFoundException($"image '{item}'{(listedIn is null ? "" : $" (listed in {listedIn})")} does not exist", item);
        else if (ListExtensions.Contains(Path.GetExtension(item).ToLowerInvariant()))
        {
            if (listedIn is not null) throw new ArgumentException($"{listedIn}: lists do not nest ('{item}')");
            var folder = Path.GetDirectoryName(Path.GetFullPath(item))!;
            int line = 0;
            foreach (var text in File.ReadLines(item))
            {
                line++;
                var entry = text.Trim();
                if (entry.Length == 0 || entry.StartsWith('#')) continue;
                Add(files, Path.Combine(folder, entry), $"{item}:{line}");
            }
        }
        else files.Add(item);
    }
}
