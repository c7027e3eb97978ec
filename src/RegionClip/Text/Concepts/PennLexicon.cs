using System.Globalization;

namespace RegionClip.Text.Concepts;

/// <summary>
/// Lingua::EN::Tagger's tables, trained on the Penn Treebank: words.yml (word → how often each tag
/// was seen with it) and tags.yml (previous tag → probability of each next tag). Both are one
/// flow mapping a line, "key: { tag: number, … }", so a line reader parses them without a YAML library.
/// </summary>
public sealed class PennLexicon
{
    private PennLexicon(string[] tags, Dictionary<string, (int Tag, double Count)[]> words, double[,] transitions)
    {
        Tags = tags;
        Words = words;
        Transitions = transitions;
    }

    /// <summary>The tag names, lower case as Lingua spells them ("nn", "det", "pp" for sentence ends).</summary>
    public string[] Tags { get; }

    public Dictionary<string, (int Tag, double Count)[]> Words { get; }

    /// <summary>P(next | previous), [previous, next].</summary>
    public double[,] Transitions { get; }

    public int TagIndex(string tag) => Array.IndexOf(Tags, tag) is var i and >= 0 ? i : throw new InvalidDataException($"the tagger's tables have no tag '{tag}'");

    public static PennLexicon Load(LexiconFiles files)
    {
        files.Require();
        var rows = ReadFlowMappings(files.Tags);
        var tagIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        int Index(string tag) => tagIndex.TryGetValue(tag, out var i) ? i : tagIndex[tag] = tagIndex.Count;
        foreach (var (prev, next) in rows)
        {
            Index(prev);
            foreach (var (tag, _) in next) Index(tag);
        }
        var words = new Dictionary<string, (int, double)[]>(StringComparer.Ordinal);
        foreach (var (word, counts) in ReadFlowMappings(files.Words))
            words[word] = counts.Select(c => (Index(c.Key), c.Value)).ToArray();
        var transitions = new double[tagIndex.Count, tagIndex.Count];
        foreach (var (prev, next) in rows)
            foreach (var (tag, p) in next) transitions[tagIndex[prev], tagIndex[tag]] = p;
        if (words.Count == 0 || rows.Count == 0) throw new InvalidDataException($"{files.TaggerDir}: the tagger's tables are empty (a damaged {LexiconFiles.TaggerPackage}?)");
        return new PennLexicon(tagIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray(), words, transitions);
    }

    private static List<(string Key, List<(string Key, double Value)> Values)> ReadFlowMappings(string path)
    {
        var result = new List<(string, List<(string, double)>)>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.StartsWith("---", StringComparison.Ordinal) || line.Trim().Length == 0) continue;
            var open = line.LastIndexOf(": {", StringComparison.Ordinal);
            var close = line.LastIndexOf('}');
            if (open < 0 || close < open) throw new InvalidDataException($"{path}:{lineNo}: not a 'key: {{ tag: count }}' line");
            var key = Unquote(line[..open].Trim());
            var values = new List<(string, double)>();
            foreach (var pair in line[(open + 3)..close].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = pair.LastIndexOf(':');
                if (colon < 0 || !double.TryParse(pair[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new InvalidDataException($"{path}:{lineNo}: '{pair}' is not 'tag: number'");
                values.Add((pair[..colon].Trim(), v));
            }
            result.Add((key, values));
        }
        return result;
    }

    private static string Unquote(string s) =>
        s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal) : s;
}
