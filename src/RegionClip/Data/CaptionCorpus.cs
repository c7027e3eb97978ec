using System.Text;
using System.Text.Json;
using RegionClip.Data.Coco;

namespace RegionClip.Data;

/// <summary>
/// The captions of a corpus file, whatever its form, told apart by content rather than by name:
/// a COCO Captions JSON object ("annotations" with "caption" fields), JSON Lines (one object with a
/// "caption" string per line), or plain text (one caption per non-blank line).
/// </summary>
public sealed record CaptionCorpus(string Path, string Format, IReadOnlyList<string> Captions)
{
    public const string Coco = "coco-captions", JsonLines = "jsonl", PlainText = "text";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static CaptionCorpus Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"caption file '{path}' does not exist", path);
        var name = System.IO.Path.GetFileName(path);
        string text;
        try
        {
            text = StrictUtf8.GetString(File.ReadAllBytes(path)).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{name}: not UTF-8 text (invalid byte at offset {e.Index})", e);
        }
        var start = text.AsSpan().TrimStart();
        if (start.IsEmpty) throw new InvalidDataException($"{name}: the file is empty: no captions to parse");

        var corpus = start[0] switch
        {
            '[' => FromCoco(path),
            '{' when IsJsonLine(FirstLine(start)) => new CaptionCorpus(path, JsonLines, ReadJsonLines(name, text)),
            '{' => FromCoco(path),
            _ => new CaptionCorpus(path, PlainText, text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()),
        };
        if (corpus.Captions.Count == 0) throw new InvalidDataException($"{name}: holds no captions ({corpus.Format})");
        return corpus;
    }

    private static CaptionCorpus FromCoco(string path) =>
        new(path, Coco, CocoCaptions.Load(path).Captions.Select(c => c.Caption).ToArray());

    private static ReadOnlySpan<char> FirstLine(ReadOnlySpan<char> s) => s.IndexOf('\n') is var i and >= 0 ? s[..i] : s;

    /// <summary>A line that is a whole JSON object without COCO's top-level arrays starts a JSON Lines file.</summary>
    private static bool IsJsonLine(ReadOnlySpan<char> line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line.ToString());
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && !doc.RootElement.TryGetProperty("annotations", out _) && !doc.RootElement.TryGetProperty("images", out _);
        }
        catch (JsonException)
        {
            return false;   // an object spread over lines: a JSON document
        }
    }

    private static List<string> ReadJsonLines(string name, string text)
    {
        var captions = new List<string>();
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("caption", out var c) || c.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{name}:{lineNo}: expected a JSON object with a \"caption\" string");
                captions.Add(c.GetString()!);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{name}:{lineNo}: invalid JSON: {e.Message.Split(" LineNumber:")[0]}", e);
            }
        }
        return captions;
    }
}
