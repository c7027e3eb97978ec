using System.Text;

namespace RegionClip.Text.Concepts;

/// <summary>
/// The object concepts of an English caption, in the form of RegionCLIP's pools: every noun the
/// tagger finds, lemmatised to its WordNet singular, with noun–noun compounds kept whole.
/// <para>Compound rule: a maximal run of adjacent noun tokens (no punctuation or symbol between)
/// is one concept, its last word lemmatised and the others kept as written ("tennis players" →
/// "tennis player"); runs longer than <see cref="MaxCompoundWords"/> keep their last words. Around
/// the tagger's choices: a modifier tagged adjective that WordNet knows only as a noun joins
/// ("laptop keyboard"); a participle joins when WordNet lists the collocation and no noun precedes
/// it ("a living room"); a word tagged as a verb joins the noun before it when WordNet lists the
/// pair ("teddy bears", "kitchen sink"); an -ing word after a noun is the caption's verb ("a cat
/// sleeping") and leaves the run. Adjective–noun collocations ("old man", "hot dog") are not merged:
/// the adjective is usually descriptive.</para>
/// Thread-safe.
/// </summary>
public sealed class CaptionParser
{
    public const int MaxCompoundWords = 3;

    private readonly ViterbiTagger _tagger;
    private readonly bool[] _isNoun, _isPlural, _isVerbForm, _isAdjective;

    public CaptionParser(ViterbiTagger tagger, WordNetNouns nouns)
    {
        _tagger = tagger ?? throw new ArgumentNullException(nameof(tagger));
        Nouns = nouns ?? throw new ArgumentNullException(nameof(nouns));
        var tags = tagger.Lexicon.Tags;
        _isNoun = tags.Select(t => t is "nn" or "nns" or "nnp" or "nnps").ToArray();
        _isPlural = tags.Select(t => t is "nns" or "nnps").ToArray();
        _isVerbForm = tags.Select(t => t is "vbg" or "vbn").ToArray();
        _isAdjective = tags.Select(t => t is "jj").ToArray();
    }

    public WordNetNouns Nouns { get; }

    /// <summary>Loads WordNet and the tagger tables (a one-line error naming the missing Debian package if absent).</summary>
    public static CaptionParser Load(LexiconFiles? files = null)
    {
        files = (files ?? LexiconFiles.Default).Require();
        var lexicon = PennLexicon.Load(files);
        var nouns = WordNetNouns.Load(files);
        return new CaptionParser(new ViterbiTagger(lexicon, nouns), nouns);
    }

    /// <summary>The caption's tokens and the Penn tags the tagger gives them (for inspection and tests).</summary>
    public IReadOnlyList<(string Word, string Tag)> Tagged(string caption)
    {
        var words = new List<string>();
        CaptionTokens.Split(caption, words, []);
        var tags = new int[words.Count];
        _tagger.Tag(words, tags);
        return words.Select((w, i) => (w, _tagger.Lexicon.Tags[tags[i]])).ToArray();
    }

    /// <summary>The concepts of one caption, in order, repeats included.</summary>
    public List<string> Parse(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var words = new List<string>();
        var breaks = new List<bool>();
        CaptionTokens.Split(caption, words, breaks);
        var result = new List<string>();
        if (words.Count == 0) return result;
        Span<int> tags = words.Count <= 256 ? stackalloc int[words.Count] : new int[words.Count];
        _tagger.Tag(words, tags);

        var plural = new bool[words.Count];
        for (int i = 0; i < words.Count; i++) plural[i] = _isPlural[tags[i]];
        var member = Members(words, breaks, tags, plural);
        for (int i = 0; i < words.Count;)
        {
            if (!member[i]) { i++; continue; }
            int end = i + 1;
            while (end < words.Count && member[end] && !breaks[end]) end++;
            result.Add(Concept(words, plural, Math.Max(i, end - MaxCompoundWords), end));
            i = end;
        }
        return result;
    }

    /// <summary>Which tokens belong to concepts: the nouns, adjusted by the compound rules.</summary>
    private bool[] Members(List<string> words, List<bool> breaks, Span<int> tags, bool[] plural)
    {
        int n = words.Count;
        var member = new bool[n];
        for (int i = 0; i < n; i++) member[i] = _isNoun[tags[i]] && IsWord(words[i]) && IsKnown(words[i]);
        // "a cat sleeping", "men riding horses": an -ing word after a noun is a verb, whatever
        // newswire's statistics say (after a plural always: plural modifiers are rare in compounds).
        for (int i = 1; i < n; i++)
            if (member[i] && member[i - 1] && !breaks[i] && words[i].EndsWith("ing", StringComparison.Ordinal) && (plural[i - 1] || CanBeGerund(words[i])))
                member[i] = false;
        for (int i = n - 2; i >= 0; i--)
        {
            if (!member[i + 1] || breaks[i + 1] || member[i] || !IsWord(words[i])) continue;
            var w = words[i];
            // "laptop keyboard", "video game": a modifier tagged as an adjective that WordNet knows only as a noun.
            if (_isAdjective[tags[i]] && !Nouns.IsAdjective(w) && Nouns.NounTag(w) == "nn") member[i] = true;
            // "a living room", "the dining table": a participle that WordNet lists in a noun collocation,
            // when no noun precedes it ("men riding horses" is not about riding horses).
            else if (_isVerbForm[tags[i]] && (i == 0 || !member[i - 1]) && Nouns.Contains(w + "_" + Nouns.Lemma(words[i + 1], plural[i + 1]))) member[i] = true;
        }
        // "teddy bears", "kitchen sink": a word the tagger took for a verb that WordNet joins to the noun before it.
        for (int i = 0; i + 1 < n; i++)
            if (member[i] && !member[i + 1] && !breaks[i + 1] && IsWord(words[i + 1]) && Nouns.NounTag(words[i + 1]) is { } tag
                && Nouns.Contains(words[i] + "_" + Nouns.Lemma(words[i + 1], tag == "nns")))
            {
                member[i + 1] = true;
                plural[i + 1] = tag == "nns";
            }
        return member;
    }

    /// <summary>
    /// Known to the tagger's lexicon or to WordNet as a noun. A word neither knows ("lol", a typo, a
    /// handle) is never a concept: a pool names things CLIP should embed, not the corpus's noise.
    /// </summary>
    private bool IsKnown(string word) => _tagger.Lexicon.Words.ContainsKey(word) || Nouns.NounTag(word) is not null;

    private bool CanBeGerund(string word) =>
        !_tagger.Lexicon.Words.TryGetValue(word, out var counts) || counts.Any(c => _isVerbForm[c.Tag]);

    private string Concept(List<string> words, bool[] plural, int start, int end)
    {
        var head = Nouns.Lemma(words[end - 1], plural[end - 1]);
        if (end - start == 1) return head;
        var sb = new StringBuilder();
        for (int k = start; k < end - 1; k++) sb.Append(words[k]).Append(' ');
        return sb.Append(head).ToString();
    }

    /// <summary>A noun worth naming has letters and no digits ("2nd", "x" and "'s" are not concepts).</summary>
    private static bool IsWord(string w)
    {
        if (w.Length < 2) return false;
        int letters = 0;
        foreach (var c in w)
        {
            if (char.IsLetter(c)) letters++;
            else if (c is not ('-' or '\'')) return false;
        }
        return letters >= 2;
    }
}
