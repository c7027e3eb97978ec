using System.IO.Compression;
using System.Text;
using RegionClip.Common;

namespace RegionClip.Text;

/// <summary>Learned BPE merges in rank order, writable as a CLIP merges file.</summary>
public sealed class BpeMerges
{
    public const string Header = "#version: 0.2";

    internal BpeMerges(IReadOnlyList<(string Left, string Right)> pairs) => Pairs = pairs;

    public IReadOnlyList<(string Left, string Right)> Pairs { get; }

    /// <summary>The file's lines: the "#version" header, then one "left right" line per merge.</summary>
    public IEnumerable<string> Lines() => Pairs.Select(p => p.Left + " " + p.Right).Prepend(Header);

    /// <summary>Writes CLIP's merges format (UTF-8, '\n' line ends), gzip-compressed when the path ends in ".gz"; atomically.</summary>
    public void WriteMergesFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, file =>
        {
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true) : file;
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            foreach (var line in Lines()) writer.WriteLine(line);
        });
    }

    /// <summary>A tokenizer over these merges (the same one <see cref="ClipTokenizer.Load"/> makes from the file).</summary>
    public ClipTokenizer ToTokenizer(string source = "learned merges") => ClipTokenizer.FromMergeLines(Lines().ToArray(), source);
}

/// <summary>
/// Learns byte-level BPE merges the way CLIP's vocabulary was built: texts are cleaned and cut by
/// CLIP's pre-tokenisation pattern, each piece becomes its UTF-8 byte symbols with "&lt;/w&gt;" on the
/// last, and the most frequent adjacent pair (counted over all pieces) is merged, again and again.
/// Ties go to the ordinally smallest (left, right) pair, so the result depends only on the texts.
/// A pair whose merged symbol already exists is skipped: CLIP's vocabulary must not hold a symbol twice.
/// </summary>
public static class BpeTrainer
{
    /// <summary>At most <paramref name="maxMerges"/> merges, stopping early when no pair occurs <paramref name="minPairCount"/> times.</summary>
    public static BpeMerges Learn(IEnumerable<string> texts, int maxMerges, int minPairCount = 2)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxMerges < 1 || maxMerges > 49152 - 512 - 2)
            throw new ArgumentOutOfRangeException(nameof(maxMerges), maxMerges, "merges must be between 1 and 48,638 (CLIP's vocabulary limit)");
        if (minPairCount < 1) throw new ArgumentOutOfRangeException(nameof(minPairCount), minPairCount, "the minimum pair count must be at least 1");

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var token in ClipTokenizer.PreTokens(text))
                counts[token] = counts.GetValueOrDefault(token) + 1;
        var words = counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new Word(Symbols(kv.Key), kv.Value)).ToArray();

        var pairCounts = new Dictionary<(string, string), long>();
        var pairWords = new Dictionary<(string, string), SortedSet<int>>();
        for (int w = 0; w < words.Length; w++) AddPairs(words, w, +1, pairCounts, pairWords);

        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in ByteUnicode.VocabularyOrder)
        {
            known.Add(c.ToString());
            known.Add(c + "</w>");
        }
        var merges = new List<(string, string)>();
        var skipped = new HashSet<(string, string)>();
        while (merges.Count < maxMerges)
        {
            var best = Best(pairCounts, skipped);
            if (best is not { } pair || pairCounts[pair] < minPairCount) break;
            if (!known.Add(pair.Item1 + pair.Item2))
            {
                skipped.Add(pair);
                continue;
            }
            merges.Add(pair);
            foreach (var w in pairWords[pair].ToArray())
            {
                AddPairs(words, w, -1, pairCounts, pairWords);
                words[w] = words[w] with { Symbols = Merge(words[w].Symbols, pair) };
                AddPairs(words, w, +1, pairCounts, pairWords);
            }
        }
        return new BpeMerges(merges);
    }

    private sealed record Word(string[] Symbols, long Count);

    private static string[] Symbols(string token)
    {
        var symbols = new string[token.Length];
        for (int i = 0; i < token.Length; i++) symbols[i] = token[i].ToString();
        symbols[^1] += "</w>";
        return symbols;
    }

    private static (string, string)? Best(Dictionary<(string, string), long> pairCounts, HashSet<(string, string)> skipped)
    {
        (string, string)? best = null;
        long bestCount = 0;
        foreach (var (pair, count) in pairCounts)
        {
            if (count <= 0 || skipped.Contains(pair)) continue;
            if (best is not { } b || count > bestCount || count == bestCount && Compare(pair, b) < 0)
            {
                best = pair;
                bestCount = count;
            }
        }
        return best;
    }

    private static int Compare((string, string) a, (string, string) b)
    {
        var c = string.CompareOrdinal(a.Item1, b.Item1);
        return c != 0 ? c : string.CompareOrdinal(a.Item2, b.Item2);
    }

    private static void AddPairs(Word[] words, int w, int sign, Dictionary<(string, string), long> pairCounts, Dictionary<(string, string), SortedSet<int>> pairWords)
    {
        var (symbols, count) = (words[w].Symbols, words[w].Count);
        for (int i = 0; i + 1 < symbols.Length; i++)
        {
            var pair = (symbols[i], symbols[i + 1]);
            pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + sign * count;
            if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = new SortedSet<int>();
            if (sign > 0) set.Add(w);
            else set.Remove(w);
        }
    }

    /// <summary>Left-to-right, non-overlapping replacement of the pair by its merge (as the tokenizer applies it).</summary>
    private static string[] Merge(string[] symbols, (string Left, string Right) pair)
    {
        var merged = new List<string>(symbols.Length);
        for (int i = 0; i < symbols.Length;)
        {
            if (i + 1 < symbols.Length && symbols[i] == pair.Left && symbols[i + 1] == pair.Right)
            {
                merged.Add(pair.Left + pair.Right);
                i += 2;
            }
            else merged.Add(symbols[i++]);
        }
        return merged.ToArray();
    }
}
