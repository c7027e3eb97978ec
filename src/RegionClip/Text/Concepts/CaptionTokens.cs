namespace RegionClip.Text.Concepts;

/// <summary>
/// Splits a caption into the tagger's tokens: lower-case words (hyphens and inner apostrophes kept,
/// "'s" split off as the Penn Treebank does), sentence punctuation as its own token. Symbols the
/// lexicon has no use for (#, quotes, slashes) are dropped but remembered as breaks, so "#art
/// #illustration" never becomes one compound.
/// </summary>
internal static class CaptionTokens
{
    public static void Split(string caption, List<string> words, List<bool> breakBefore)
    {
        words.Clear();
        breakBefore.Clear();
        bool pendingBreak = false;
        for (int i = 0; i < caption.Length;)
        {
            char c = caption[i];
            if (char.IsLetterOrDigit(c))
            {
                int start = i;
                while (i < caption.Length && (char.IsLetterOrDigit(caption[i]) || caption[i] is '-' or '\'' or '’'
                                              || caption[i] is '.' or ',' && i + 1 < caption.Length && char.IsAsciiDigit(caption[i + 1]) && char.IsAsciiDigit(caption[i - 1])))
                    i++;
                var word = caption[start..i].Replace('’', '\'').TrimEnd('-', '\'').ToLowerInvariant();
                if (word.EndsWith("'s", StringComparison.Ordinal) && word.Length > 2)
                {
                    Add(word[..^2]);
                    Add("'s");
                }
                else Add(word);
                continue;
            }
            i++;
            switch (c)
            {
                case ',': Add(","); break;
                case '.' or '!' or '?': Add("."); break;
                case ';' or ':': Add(c.ToString()); break;
                case '(' or '[': Add("*LRB*"); break;
                case ')' or ']': Add("*RRB*"); break;
                case '&': Add("&"); break;
                default: if (!char.IsWhiteSpace(c)) pendingBreak = true; break;
            }
        }

        void Add(string w)
        {
            if (w.Length == 0) return;
            words.Add(w);
            breakBefore.Add(pendingBreak);
            pendingBreak = false;
        }
    }
}
