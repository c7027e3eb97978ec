using System.Globalization;
using RegionClip.Common;

namespace RegionClip.Text.Concepts;

/// <summary>One concept of a pool and how often the corpus names it.</summary>
public readonly record struct PoolEntry(string Concept, long Count);

/// <summary>
/// A concept pool as RegionCLIP's files hold it: "concept,count" lines, most frequent first, ties
/// in ordinal name order (so a pool depends only on its counts), nothing under the minimum count.
/// </summary>
public sealed class NounPool
{
    private NounPool(IReadOnlyList<PoolEntry> entries) => Entries = entries;

    public IReadOnlyList<PoolEntry> Entries { get; }
    public int Count => Entries.Count;

    /// <summary>Keeps the concepts counted at least <paramref name="minCount"/> times, at most <paramref name="maxConcepts"/> of the most frequent.</summary>
    public static NounPool Select(IReadOnlyDictionary<string, long> counts, int minCount = 1, int? maxConcepts = null)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (minCount < 1) throw new ArgumentOutOfRangeException(nameof(minCount), minCount, "the minimum count must be at least 1");
        if (maxConcepts is < 1) throw new ArgumentOutOfRangeException(nameof(maxConcepts), maxConcepts, "the maximum number of concepts must be at least 1");
        var kept = counts.Where(kv => kv.Value >= minCount)
            .Select(kv => new PoolEntry(kv.Key, kv.Value))
            .OrderByDescending(e => e.Count).ThenBy(e => e.Concept, StringComparer.Ordinal);
        return new NounPool((maxConcepts is int k ? kept.Take(k) : kept).ToArray());
    }

    /// <summary>Writes the "concept,count" file atomically (UTF-8, '\n' line ends).</summary>
    public void Write(string path) => AtomicFile.WriteText(path, w =>
    {
        foreach (var e in Entries) w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{e.Concept},{e.Count}"));
    });

    /// <summary>Reads a "concept,count" file (blank lines and '#' comments skipped); errors name the file and line.</summary>
    public static NounPool Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"concept pool '{path}' does not exist", path);
        var entries = new List<PoolEntry>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var comma = line.LastIndexOf(',');
            if (comma <= 0 || !long.TryParse(line.AsSpan(comma + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                throw new InvalidDataException($"{path}:{lineNo}: '{line}' is not a 'concept,count' line");
            entries.Add(new PoolEntry(line[..comma].Trim(), count));
        }
        return new NounPool(entries);
    }
}
