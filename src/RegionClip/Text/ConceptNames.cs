
namespace RegionClip.Text;

/// <summary>Where concept names come from: a comma-separated option or a text file.</summary>
public static class ConceptNames
{
    /// <summary>"cat, dog,teddy bear" → ["cat", "dog", "teddy bear"].</summary>
    public static IReadOnlyList<string> Parse(string commaSeparated) =>
        commaSeparated.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// One concept per line; blank lines and lines starting with '#' are skipped. As in RegionCLIP's
    /// concept files ("noun,count"), a name ends at its first comma.
    /// </summary>
    public static IReadOnlyList<string> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"vocabulary file '{path}' does not exist", path);
        var names = new List<string>();
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var comma = line.IndexOf(',');
            names.Add((comma >= 0 ? line[..comma] : line).Trim());
        }
        if (names.Count == 0) throw new InvalidDataException($"vocabulary file '{path}' lists no names");
        return names;
    }
}
