using System.Text;
using System.Text.Json;
using RegionClip.Torch;

namespace RegionClip.Data.Datasets;

/// <summary>
/// The official pretraining pair layout: an image TSV (key TAB base64-encoded image per row) and a text
/// TSV (key TAB JSON per row, with "captions": […] and/or "tags": […]; a value that is not JSON is the
/// caption itself), row i of one matching row i of the other. Only the row offsets are held in memory;
/// rows are read when a step needs them.
/// </summary>
internal sealed class TsvImageTextPairs : ImageTextPairs
{
    private readonly string _imagePath, _textPath;
    private readonly FileStream _images;
    private readonly long[] _imageRows;
    private readonly string[] _keys;
    private readonly ImageTexts[] _texts;
    private readonly Lock _gate = new();

    private TsvImageTextPairs(string imagePath, string textPath, FileStream images, long[] imageRows, string[] keys, ImageTexts[] texts)
    {
        (_imagePath, _textPath, _images, _imageRows, _keys, _texts) = (imagePath, textPath, images, imageRows, keys, texts);
    }

    public override int Count => _keys.Length;
    public override string Source => _textPath;
    public override string Name(int index) => _keys[index];
    public override ImageTexts Texts(int index) => _texts[index];

    public static TsvImageTextPairs Open(string imageTsv, string textTsv)
    {
        if (!File.Exists(imageTsv)) throw new FileNotFoundException($"image TSV '{imageTsv}' (data.images) does not exist: a text TSV needs its image TSV", imageTsv);
        var (keys, texts) = ReadTexts(textTsv);
        var images = File.OpenRead(imageTsv);
        try
        {
            var rows = RowOffsets(images);
            if (rows.Length != keys.Length)
                throw new InvalidDataException($"'{imageTsv}' has {rows.Length} rows but '{textTsv}' has {keys.Length}: row i of one must match row i of the other");
            return new TsvImageTextPairs(imageTsv, textTsv, images, rows, keys, texts);
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }

    public override Tensor ReadImage(int index)
    {
        string line;
        lock (_gate)
        {
            _images.Position = _imageRows[index];
            using var reader = new StreamReader(_images, Encoding.ASCII, false, 1 << 16, leaveOpen: true);
            line = reader.ReadLine() ?? "";
        }
        var at = $"{Path.GetFileName(_imagePath)}:{index + 1}";
        var tab = line.IndexOf('\t');
        if (tab < 0) throw new InvalidDataException($"{at}: expected key TAB base64 image");
        if (line.AsSpan(0, tab).SequenceEqual(_keys[index]) is false)
            throw new InvalidDataException($"{at}: key '{line[..tab]}' does not match row {index + 1} of the text TSV ('{_keys[index]}')");
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(line[(tab + 1)..].Trim());
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{at} ('{_keys[index]}'): the image is not valid base64", e);
        }
        return ImageIO.Decode(bytes, $"{at} ('{_keys[index]}')");
    }

    private static (string[] Keys, ImageTexts[] Texts) ReadTexts(string path)
    {
        var keys = new List<string>();
        var texts = new List<ImageTexts>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var at = $"{Path.GetFileName(path)}:{lineNumber}";
            var tab = line.IndexOf('\t');
            if (tab < 0) throw new InvalidDataException($"{at}: expected key TAB text (JSON with \"captions\"/\"tags\", or a caption)");
            var value = line[(tab + 1)..];
            var entry = ParseText(value, at);
            keys.Add(line[..tab]);
            texts.Add(entry);
        }
        if (keys.Count == 0) throw new InvalidDataException($"'{path}' holds no rows");
        return ([.. keys], [.. texts]);
    }

    private static ImageTexts ParseText(string value, string at)
    {
        if (!value.TrimStart().StartsWith('{')) return new ImageTexts([value.Trim()], []);
        try
        {
            using var doc = JsonDocument.Parse(value);
            static List<string> Strings(JsonElement root, string name) =>
                root.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).Where(s => !string.IsNullOrWhiteSpace(s)).ToList()
                    : [];
            var texts = new ImageTexts(Strings(doc.RootElement, "captions"), Strings(doc.RootElement, "tags"));
            return texts.IsEmpty ? throw new InvalidDataException($"{at}: no \"captions\" or \"tags\" strings") : texts;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{at}: the text is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The byte offset where each non-empty row starts.</summary>
    private static long[] RowOffsets(FileStream file)
    {
        var rows = new List<long>();
        var buffer = new byte[1 << 20];
        long position = 0, lineStart = 0;
        bool lineHasBytes = false;
        int read;
        file.Position = 0;
        while ((read = file.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    if (lineHasBytes) rows.Add(lineStart);
                    lineStart = position + i + 1;
                    lineHasBytes = false;
                }
                else if (buffer[i] != (byte)'\r') lineHasBytes = true;
            }
            position += read;
        }
        if (lineHasBytes) rows.Add(lineStart);
        return [.. rows];
    }

    public override void Dispose() => _images.Dispose();
}
