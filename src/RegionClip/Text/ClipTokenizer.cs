using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace RegionClip.Text;

/// <summary>How to fit a sequence longer than the context.</summary>
public enum Truncation
{
    /// <summary>Throw (OpenAI's default).</summary>
    Error,
    /// <summary>Cut to the context and make the last id the end token (OpenAI's truncate=True).</summary>
    KeepEnd,
    /// <summary>Cut to the context, end token lost (RegionCLIP's caption and prompt helpers).</summary>
    Cut,
}

/// <summary>
/// CLIP's byte-level BPE tokenizer over a merges file: the official bpe_simple_vocab_16e6.txt[.gz]
/// (its first 48,894 merges, ids as OpenAI's) or a smaller one in the same format, such as the
/// synthetic world's. The vocabulary is, in CLIP's order, the 256 byte symbols, the 256 byte
/// symbols + "&lt;/w&gt;", one entry per merge, then start and end of text.
/// Cleaning follows the official one with ftfy replaced by Unicode NFC normalisation.
/// Thread-safe.
/// </summary>
public sealed partial class ClipTokenizer
{
    public const int ContextLength = 77;
    /// <summary>Start-of-text id of the official vocabulary (<see cref="StartOfTextId"/> for any file).</summary>
    public const int StartOfText = 49406;
    /// <summary>End-of-text id of the official vocabulary (<see cref="EndOfTextId"/> for any file).</summary>
    public const int EndOfText = 49407;
    /// <summary>Size of the official vocabulary (<see cref="VocabularyCount"/> for any file).</summary>
    public const int VocabularySize = 49408;
    /// <summary>The official tokenizer reads this many merges; a longer file is cut here, as OpenAI's code does.</summary>
    private const int MergeCount = 49152 - 256 - 2;
    private const string OfficialHeader = "\"bpe_simple_vocab_16e6.txt#version";

    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int> _ids;
    private readonly ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);

    private ClipTokenizer(Dictionary<(string, string), int> ranks, Dictionary<string, int> ids)
    {
        _ranks = ranks;
        _ids = ids;
        _cache["<|startoftext|>"] = ["<|startoftext|>"];
        _cache["<|endoftext|>"] = ["<|endoftext|>"];
    }

    /// <summary>Where this tokenizer's merges came from.</summary>
    public string Source { get; private init; } = "";

    /// <summary>Id of "&lt;|startoftext|&gt;": 49406 for the official file, 512 + merges in general.</summary>
    public int StartOfTextId => _ids.Count - 2;

    /// <summary>Id of "&lt;|endoftext|&gt;", the last id.</summary>
    public int EndOfTextId => _ids.Count - 1;

    /// <summary>Number of ids (a text model's token embedding needs at least this many rows).</summary>
    public int VocabularyCount => _ids.Count;

    /// <summary>Reads the merges file (gzip or plain UTF-8 text).</summary>
    public static ClipTokenizer Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"CLIP vocabulary '{path}' does not exist. {VocabularyLocator.WhereToGetIt}", path);
        string[] lines;
        try
        {
            using var file = File.OpenRead(path);
            var magic = new byte[2];
            var isGzip = file.Read(magic, 0, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            file.Position = 0;
            using Stream stream = isGzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true));
            lines = reader.ReadToEnd().Split('\n');
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException or IOException)
        {
            throw new InvalidDataException($"'{path}' is not a CLIP BPE merges file (unreadable gzip/UTF-8: {e.Message}). {VocabularyLocator.WhereToGetIt}", e);
        }
        return FromMergeLines(lines, path);
    }

    internal static ClipTokenizer FromMergeLines(string[] lines, string source)
    {
        // Line 0 is the "#version" header; the merges follow in rank order. The official file holds
        // more than OpenAI reads, so it is cut at 48,894 and must have at least that many.
        bool official = lines[0].StartsWith(OfficialHeader, StringComparison.Ordinal);
        if (!official && !lines[0].StartsWith("#version", StringComparison.Ordinal))
            throw new InvalidDataException($"'{source}' is not a CLIP BPE merges file: expected a '#version' header, found '{Truncate(lines[0])}'. {VocabularyLocator.WhereToGetIt}");
        int available = lines.Length - 1;
        while (available > 0 && lines[available].Length == 0) available--; // trailing newlines
        if (official ? available < MergeCount : available < 1)
            throw new InvalidDataException($"'{source}' is not a CLIP BPE merges file: expected at least {(official ? MergeCount : 1)} merges after the '#version' header, found {available}. {VocabularyLocator.WhereToGetIt}");
        int count = Math.Min(available, MergeCount);
        var ranks = new Dictionary<(string, string), int>(count);
        var ids = new Dictionary<string, int>(512 + count + 2, StringComparer.Ordinal);
        foreach (var c in ByteUnicode.VocabularyOrder) ids[c.ToString()] = ids.Count;
        foreach (var c in ByteUnicode.VocabularyOrder) ids[c + "</w>"] = ids.Count;
        for (int i = 0; i < count; i++)
        {
            var line = lines[i + 1];
            var space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                throw new InvalidDataException($"'{source}' line {i + 2}: expected two symbols separated by one space, got '{Truncate(line)}'");
            var pair = (line[..space], line[(space + 1)..]);
            // Each side must be a byte symbol or an earlier merge, and each merge must make a new symbol.
            if (!ids.ContainsKey(pair.Item1) || !ids.ContainsKey(pair.Item2))
                throw new InvalidDataException($"'{source}' line {i + 2}: '{Truncate(line)}' merges a symbol that is neither a byte nor made by an earlier merge");
            if (!ids.TryAdd(pair.Item1 + pair.Item2, ids.Count))
                throw new InvalidDataException($"'{source}' line {i + 2}: '{Truncate(line)}' makes the symbol '{pair.Item1 + pair.Item2}' a second time (duplicate merges)");
            ranks[pair] = i;
        }
        ids["<|startoftext|>"] = ids.Count;
        ids["<|endoftext|>"] = ids.Count;
        return new ClipTokenizer(ranks, ids) { Source = source };
    }

    private static string Truncate(string s) => s.Length > 60 ? s[..60] + "…" : s;

    // ---- cleaning ------------------------------------------------------------------------------

    /// <summary>NFC (standing in for ftfy), HTML-unescape twice, collapse whitespace, lowercase.</summary>
    public static string Clean(string text)
    {
        var t = text.Normalize(NormalizationForm.FormC);
        t = WebUtility.HtmlDecode(WebUtility.HtmlDecode(t)).Trim();
        t = Whitespace().Replace(t, " ").Trim();
        return t.ToLowerInvariant();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PreTokenizer();

    // ---- encoding ------------------------------------------------------------------------------

    /// <summary>BPE ids of the text, without start/end tokens.</summary>
    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (var token in PreTokens(text))
            foreach (var symbol in Bpe(token)) ids.Add(_ids[symbol]);
        return ids;
    }

    /// <summary>
    /// The cleaned text cut by CLIP's pre-tokenisation pattern, each piece's UTF-8 bytes mapped to
    /// their BPE characters: the units BPE merges within (shared with <see cref="BpeTrainer"/>).
    /// </summary>
    internal static IEnumerable<string> PreTokens(string text)
    {
        foreach (Match m in PreTokenizer().Matches(Clean(text)))
        {
            var bytes = Encoding.UTF8.GetBytes(m.Value);
            var sb = new StringBuilder(bytes.Length);
            foreach (var b in bytes) sb.Append(ByteUnicode.Encoder[b]);
            yield return sb.ToString();
        }
    }

    /// <summary>[start] + ids + [end], fitted to the context as <paramref name="truncation"/> says; unpadded.</summary>
    public int[] EncodeWithSpecialTokens(string text, int contextLength = ContextLength, Truncation truncation = Truncation.Error)
    {
        var ids = Encode(text);
        var seq = new int[ids.Count + 2];
        seq[0] = StartOfTextId;
        ids.CopyTo(seq, 1);
        seq[^1] = EndOfTextId;
        if (seq.Length <= contextLength) return seq;
        switch (truncation)
        {
            case Truncation.Error:
                throw new ArgumentException($"input '{Truncate(text)}' is {seq.Length} tokens, longer than the context length {contextLength}");
            case Truncation.KeepEnd:
                var kept = seq[..contextLength];
                kept[^1] = EndOfTextId;
                return kept;
            default:
                return seq[..contextLength];
        }
    }

    /// <summary>OpenAI's clip.tokenize: one zero-padded row of <paramref name="contextLength"/> ids per text.</summary>
    public long[,] Tokenize(IReadOnlyList<string> texts, int contextLength = ContextLength, Truncation truncation = Truncation.Error)
    {
        var result = new long[texts.Count, contextLength];
        for (int i = 0; i < texts.Count; i++)
        {
            var seq = EncodeWithSpecialTokens(texts[i], contextLength, truncation);
            for (int j = 0; j < seq.Length; j++) result[i, j] = seq[j];
        }
        return result;
    }

    /// <summary>Merges one pre-token (already byte-mapped) by lowest merge rank until no merge applies.</summary>
    private string[] Bpe(string token)
    {
        if (_cache.TryGetValue(token, out var cached)) return cached;
        var word = new List<string>(token.Length);
        for (int i = 0; i < token.Length - 1; i++) word.Add(token[i].ToString());
        word.Add(token[^1] + "</w>");

        while (word.Count > 1)
        {
            // The adjacent pair with the lowest rank; stop when none is a known merge.
            int bestRank = int.MaxValue;
            (string, string) best = default;
            for (int i = 0; i < word.Count - 1; i++)
            {
                if (_ranks.TryGetValue((word[i], word[i + 1]), out var r) && r < bestRank)
                {
                    bestRank = r;
                    best = (word[i], word[i + 1]);
                }
            }
            if (bestRank == int.MaxValue) break;
            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count;)
            {
                if (i < word.Count - 1 && word[i] == best.Item1 && word[i + 1] == best.Item2)
                {
                    merged.Add(best.Item1 + best.Item2);
                    i += 2;
                }
                else
                {
                    merged.Add(word[i]);
                    i++;
                }
            }
            word = merged;
        }
        var result = word.ToArray();
        _cache[token] = result;
        return result;
    }

    /// <summary>Ids → text as the official decoder does (word ends become spaces), for debugging.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var byId = _ids.ToDictionary(kv => kv.Value, kv => kv.Key);
        var decoder = new Dictionary<char, byte>();
        for (int b = 0; b < 256; b++) decoder[ByteUnicode.Encoder[b]] = (byte)b;
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id == StartOfTextId || id == EndOfTextId) continue;
            if (!byId.TryGetValue(id, out var sym)) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary");
            foreach (var ch in sym.Replace("</w>", " ", StringComparison.Ordinal))
                bytes.AddRange(ch == ' ' ? [(byte)' '] : [decoder[ch]]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).Trim();
    }
}
