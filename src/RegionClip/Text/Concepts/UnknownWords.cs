namespace RegionClip.Text.Concepts;

/// <summary>
/// Tag guesses for words the lexicon lacks, learned from the lexicon's own rare words (seen at most
/// <see cref="RareCount"/> times, which behave most like unseen ones): the tag distribution of the
/// longest ending (up to four letters) shared by enough of them, as in TnT's suffix model. Words with
/// a hyphen use the hyphenated rare words' distribution.
/// </summary>
internal sealed class UnknownWords
{
    private const int RareCount = 3, MaxSuffix = 4, MinSamples = 25;

    private readonly Dictionary<string, (int Tag, double P)[]> _bySuffix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Tag, double P)[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly (int Tag, double P)[] _hyphenated, _fallback;

    public UnknownWords(PennLexicon lexicon)
    {
        var suffixCounts = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var hyphen = new double[lexicon.Tags.Length];
        var all = new double[lexicon.Tags.Length];
        foreach (var (word, counts) in lexicon.Words)
        {
            if (counts.Sum(c => c.Count) > RareCount || !char.IsLower(word[0])) continue;
            var target = word.Contains('-') ? hyphen : null;
            foreach (var (tag, n) in counts)
            {
                all[tag] += n;
                if (target != null) target[tag] += n;
            }
            if (target != null) continue;
            for (int k = 1; k <= MaxSuffix && k < word.Length; k++)
            {
                var suffix = word[^k..];
                if (!suffixCounts.TryGetValue(suffix, out var c)) suffixCounts[suffix] = c = new double[lexicon.Tags.Length];
                foreach (var (tag, n) in counts) c[tag] += n;
            }
        }
        foreach (var (suffix, c) in suffixCounts)
            if (c.Sum() >= MinSamples) _bySuffix[suffix] = Distribution(c);
        _lookup = _bySuffix.GetAlternateLookup<ReadOnlySpan<char>>();
        _hyphenated = Distribution(hyphen);
        _fallback = Distribution(all);
    }

    /// <summary>P(tag | word's form), keeping the tags that carry 99% of the mass (few candidates keep Viterbi fast).</summary>
    public (int Tag, double P)[] Guess(ReadOnlySpan<char> word)
    {
        if (word.Contains('-')) return _hyphenated;
        for (int k = Math.Min(MaxSuffix, word.Length - 1); k >= 1; k--)
            if (_lookup.TryGetValue(word[^k..], out var d)) return d;
        return _fallback;
    }

    private static (int Tag, double P)[] Distribution(double[] counts)
    {
        var total = counts.Sum();
        if (total == 0) return [];
        var ranked = counts.Select((n, tag) => (Tag: tag, P: n / total)).Where(x => x.P > 0).OrderByDescending(x => x.P).ToList();
        var kept = new List<(int, double)>();
        double mass = 0;
        foreach (var x in ranked)
        {
            kept.Add(x);
            if ((mass += x.P) >= 0.99) break;
        }
        return kept.ToArray();
    }
}
