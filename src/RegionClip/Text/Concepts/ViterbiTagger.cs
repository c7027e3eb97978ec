namespace RegionClip.Text.Concepts;

/// <summary>
/// A bigram hidden-Markov part-of-speech tagger over Lingua::EN::Tagger's Penn-Treebank tables:
/// the most likely tag sequence (Viterbi) under P(tag | previous tag) · P(word | tag), starting and
/// ending at a sentence boundary ("pp"). Each word only considers the tags it was seen with (unknown
/// words: the tags their ending suggests), so a sentence costs a few operations a word, not 45².
/// <para>The lexicon comes from newswire, which rarely saw "shower" or "skate" as nouns; WordNet
/// fills that gap: a word seen fewer than <see cref="SparseCount"/> times gains one count of its
/// WordNet noun reading, and an unseen word WordNet knows as a noun splits its guess evenly between
/// that reading and its ending's tags.</para>
/// <para>Three corrections for captions, where newswire's bigrams mislead: an article ("a", "an",
/// "the") is never followed by a finite verb (Lingua tags "that" and "this" as determiners too,
/// which lets "the tracks" read as a verb), and "next" before "to" is the adverb of "next to", the
/// commonest caption preposition, not the adjective of "next year". And a caption may open with an
/// imperative ("look at a ladybug!"), which newswire almost never does: a base-form verb is as
/// likely as a noun at the start.</para>
/// Thread-safe: the tables are read-only.
/// </summary>
public sealed class ViterbiTagger
{
    private const float Floor = -16f;   // log of an unseen transition (≈ 1e-7)
    private const int SparseCount = 10;

    private readonly Dictionary<string, Emission>.AlternateLookup<ReadOnlySpan<char>> _known;
    private readonly UnknownWords _unknown;
    private readonly float[] _logTagPrior;
    private readonly float[,] _logTransition;
    private readonly int _boundary;
    private readonly Emission _number, _nextTo;
    private readonly bool[] _finiteVerb;
    private readonly WordNetNouns? _nouns;

    /// <summary>Tags a word may take with the log of P(word | tag) up to a per-word constant.</summary>
    private sealed record Emission(int[] Tags, float[] Log);

    public ViterbiTagger(PennLexicon lexicon, WordNetNouns? nouns = null)
    {
        ArgumentNullException.ThrowIfNull(lexicon);
        Lexicon = lexicon;
        _nouns = nouns;
        int t = lexicon.Tags.Length;
        var tagTotals = new double[t];
        foreach (var counts in lexicon.Words.Values)
            foreach (var (tag, n) in counts) tagTotals[tag] += n;
        double all = tagTotals.Sum();
        _logTagPrior = tagTotals.Select(n => (float)Math.Log(Math.Max(n, 1) / all)).ToArray();
        // P(word | tag) = c(word, tag) / c(tag); the word's own count is a constant Viterbi ignores.
        var known = new Dictionary<string, Emission>(lexicon.Words.Count, StringComparer.Ordinal);
        foreach (var (word, counts) in lexicon.Words)
        {
            var withNoun = counts.Sum(c => c.Count) < SparseCount && nouns?.NounTag(word) is { } noun ? AddCount(counts, lexicon.TagIndex(noun), 1) : counts;
            known[word] = new Emission(withNoun.Select(c => c.Tag).ToArray(), withNoun.Select(c => (float)Math.Log(c.Count / Math.Max(tagTotals[c.Tag], 1))).ToArray());
        }
        _known = known.GetAlternateLookup<ReadOnlySpan<char>>();
        _logTransition = new float[t, t];
        for (int a = 0; a < t; a++)
            for (int b = 0; b < t; b++)
                _logTransition[a, b] = lexicon.Transitions[a, b] > 0 ? Math.Max(Floor, (float)Math.Log(lexicon.Transitions[a, b])) : Floor;
        _boundary = lexicon.TagIndex("pp");
        int vb = lexicon.TagIndex("vb"), nn = lexicon.TagIndex("nn");
        _logTransition[_boundary, vb] = Math.Max(_logTransition[_boundary, vb], _logTransition[_boundary, nn]);
        _number = known.TryGetValue("*NUM*", out var num) ? num : new Emission([lexicon.TagIndex("cd")], [0f]);
        _unknown = new UnknownWords(lexicon);
        _finiteVerb = lexicon.Tags.Select(tag => tag is "vb" or "vbz" or "vbp" or "vbd" or "md").ToArray();
        _nextTo = new Emission([lexicon.TagIndex("rb")], [0f]);
    }

    public PennLexicon Lexicon { get; }

    /// <summary>Writes the tag index of each token of <paramref name="words"/> (lower case, or as written when only that form is known).</summary>
    public void Tag(IReadOnlyList<string> words, Span<int> tags)
    {
        int n = words.Count;
        if (n == 0) return;
        var emissions = new Emission[n];
        int total = 0;
        for (int i = 0; i < n; i++)
            total += (emissions[i] = words[i] == "next" && i + 1 < n && words[i + 1] == "to" ? _nextTo : EmissionOf(words[i])).Tags.Length;
        var score = new float[total];
        var back = new int[total];
        var offset = new int[n + 1];
        for (int i = 0; i < n; i++) offset[i + 1] = offset[i] + emissions[i].Tags.Length;

        for (int i = 0; i < n; i++)
        {
            var e = emissions[i];
            for (int k = 0; k < e.Tags.Length; k++)
            {
                int tag = e.Tags[k];
                float best;
                int arg = -1;
                if (i == 0) best = _logTransition[_boundary, tag];
                else
                {
                    best = float.NegativeInfinity;
                    var p = emissions[i - 1];
                    for (int j = 0; j < p.Tags.Length; j++)
                    {
                        float s = score[offset[i - 1] + j] + _logTransition[p.Tags[j], tag];
                        if (s > best) { best = s; arg = j; }
                    }
                    if (_finiteVerb[tag] && words[i - 1] is "a" or "an" or "the") best += 2 * Floor;   // all but impossible, never undefined
                }
                score[offset[i] + k] = best + e.Log[k];
                back[offset[i] + k] = arg;
            }
        }
        var last = emissions[n - 1];
        int at = 0;
        float end = float.NegativeInfinity;
        for (int k = 0; k < last.Tags.Length; k++)
        {
            float s = score[offset[n - 1] + k] + _logTransition[last.Tags[k], _boundary];
            if (s > end) { end = s; at = k; }
        }
        for (int i = n - 1; i >= 0; i--)
        {
            tags[i] = emissions[i].Tags[at];
            at = back[offset[i] + at];
        }
    }

    private Emission EmissionOf(string word)
    {
        if (_known.TryGetValue(word, out var e)) return e;
        if (IsNumber(word)) return _number;
        var guess = _unknown.Guess(word);
        if (_nouns?.NounTag(word) is { } noun)
            guess = AddCount(guess.Select(g => (g.Tag, g.P * 0.5)).ToArray(), Lexicon.TagIndex(noun), 0.5);
        // P(word | tag) ∝ P(tag | form) / P(tag), the same scale up to a constant as a known word's.
        return new Emission(guess.Select(g => g.Tag).ToArray(), guess.Select(g => (float)Math.Log(g.P) - _logTagPrior[g.Tag]).ToArray());
    }

    private static (int Tag, double Count)[] AddCount((int Tag, double Count)[] counts, int tag, double add) =>
        counts.Any(c => c.Tag == tag)
            ? counts.Select(c => c.Tag == tag ? (c.Tag, c.Count + add) : c).ToArray()
            : [.. counts, (tag, add)];

    private static bool IsNumber(string word)
    {
        bool digit = false;
        foreach (var c in word)
        {
            if (char.IsAsciiDigit(c)) digit = true;
            else if (c is not (',' or '.' or '/' or ':')) return false;
        }
        return digit;
    }
}
