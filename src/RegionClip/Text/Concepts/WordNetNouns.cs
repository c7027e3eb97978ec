namespace RegionClip.Text.Concepts;

/// <summary>
/// WordNet's nouns as a lemmatiser: index.noun (every noun lemma, collocations joined by '_', such as
/// teddy_bear) and noun.exc (irregular plurals: men → man, teeth → tooth). Lemmas follow WordNet's
/// morphy: exceptions first, then the detachment rules (-s, -ses, -xes, -zes, -ches, -shes, -men, -ies)
/// checked against the index; among valid forms the shortest wins, as NLTK's lemmatiser (which
/// built the official pools) picks it, so "glasses" → "glass" while "people" stays "people".
/// </summary>
public sealed class WordNetNouns
{
    private static readonly (string Suffix, string Ending)[] Detachments =
        [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")];

    private readonly HashSet<string> _lemmas, _adjectives;
    private readonly Dictionary<string, string> _exceptions;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lemmaSpans;

    private WordNetNouns(HashSet<string> lemmas, HashSet<string> adjectives, Dictionary<string, string> exceptions)
    {
        _lemmas = lemmas;
        _adjectives = adjectives;
        _exceptions = exceptions;
        _lemmaSpans = lemmas.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _lemmas.Count;

    public static WordNetNouns Load(LexiconFiles files)
    {
        files.Require();
        var lemmas = ReadIndex(files.IndexNoun);
        var exceptions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(files.NounExceptions))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2) exceptions.TryAdd(parts[0], parts[1]);   // "leaves leaf leave": the first base
        }
        if (lemmas.Count == 0) throw new InvalidDataException($"{files.IndexNoun} lists no nouns (a damaged {LexiconFiles.WordNetPackage}?)");
        return new WordNetNouns(lemmas, ReadIndex(files.IndexAdjective), exceptions);
    }

    /// <summary>The lemmas of an index.* file (the first field of each line; the licence header is indented).</summary>
    private static HashSet<string> ReadIndex(string path)
    {
        var lemmas = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == ' ') continue;
            var space = line.IndexOf(' ');
            lemmas.Add(space < 0 ? line : line[..space]);
        }
        return lemmas;
    }

    /// <summary>Whether WordNet has an adjective sense of the word ("red", "wooden"; not "laptop").</summary>
    public bool IsAdjective(string word) => _adjectives.Contains(word);

    /// <summary>The noun reading WordNet gives a word: "nn" for a lemma, "nns" for a plural of one, null for none.</summary>
    public string? NounTag(string word)
    {
        // A plural form first: "glasses" is a lemma too, but also the plural of "glass".
        if (_exceptions.ContainsKey(word)) return "nns";
        foreach (var (suffix, ending) in Detachments)
            if (word.Length > suffix.Length + 1 && word.EndsWith(suffix, StringComparison.Ordinal)
                && _lemmas.Contains(string.Concat(word.AsSpan(0, word.Length - suffix.Length), ending)))
                return "nns";
        return _lemmas.Contains(word) ? "nn" : null;
    }

    /// <summary>Whether WordNet knows this lower-case noun or collocation ("dog", "teddy_bear").</summary>
    public bool Contains(ReadOnlySpan<char> lemma) => _lemmaSpans.Contains(lemma);

    /// <summary>The singular of a lower-case plural noun; unknown plurals lose their regular ending.</summary>
    public string Singular(string word)
    {
        if (_exceptions.TryGetValue(word, out var irregular)) return irregular;
        string? best = _lemmas.Contains(word) ? word : null;
        foreach (var (suffix, ending) in Detachments)
        {
            if (word.Length <= suffix.Length + 1 || !word.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var form = string.Concat(word.AsSpan(0, word.Length - suffix.Length), ending);
            if (_lemmas.Contains(form) && (best is null || form.Length < best.Length)) best = form;
        }
        return best ?? Guess(word);
    }

    /// <summary>A word WordNet lacks (e.g. "skateboarders"): English's regular plural endings.</summary>
    private static string Guess(string word)
    {
        if (word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal)) return word[..^3] + "y";
        foreach (var e in (ReadOnlySpan<string>)["ches", "shes", "sses", "xes", "zes"])
            if (word.Length > e.Length + 1 && word.EndsWith(e, StringComparison.Ordinal)) return word[..^2];
        if (word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) && !word.EndsWith("us", StringComparison.Ordinal))
            return word[..^1];
        return word;
    }

    /// <summary>The lemma of a lower-case noun token: plurals singularised; an irregular plural ("oxen") is one whatever its tag.</summary>
    public string Lemma(string word, bool plural) =>
        plural ? Singular(word) : _exceptions.TryGetValue(word, out var b) ? b : word;
}
