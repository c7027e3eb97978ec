using System.Text.Json;

namespace RegionClip.Structures;

/// <summary>
/// The --boxes JSON: a list of [x1, y1, x2, y2] boxes in original image pixels (for every image), or
/// an object mapping an image's file name (or path as given) to its own list.
/// </summary>
public sealed class BoxesFile
{
    private readonly IReadOnlyList<Box>? _shared;
    private readonly Dictionary<string, IReadOnlyList<Box>>? _perImage;
    private readonly string _path;

    private BoxesFile(string path, IReadOnlyList<Box>? shared, Dictionary<string, IReadOnlyList<Box>>? perImage)
    {
        _path = path;
        _shared = shared;
        _perImage = perImage;
    }

    public static BoxesFile Read(string path)
    {
        using var doc = Parse(path, "boxes");
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Array) return new BoxesFile(path, List(root, path, "$"), null);
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}': expected a list of [x1, y1, x2, y2] boxes or an object {{\"image.jpg\": [[x1, y1, x2, y2], …]}}, found {root.ValueKind}");
        var map = new Dictionary<string, IReadOnlyList<Box>>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject()) map[p.Name] = List(p.Value, path, $"$[\"{p.Name}\"]");
        return new BoxesFile(path, null, map);
    }

    /// <summary>Reads a JSON file; a missing file or bad JSON is an error naming it (<paramref name="what"/>: "boxes", "proposals").</summary>
    internal static JsonDocument Parse(string path, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} file '{path}' does not exist", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The boxes of one image (matched by the path as given, then by file name).</summary>
    public IReadOnlyList<Box> For(string image)
    {
        if (_shared is not null) return _shared;
        if (_perImage!.TryGetValue(image, out var b) || _perImage.TryGetValue(Path.GetFileName(image), out b)) return b;
        throw new InvalidDataException($"'{_path}' has no boxes for image '{image}' (keys are file names or paths as given)");
    }

    /// <summary>A JSON list of [x1, y1, x2, y2] boxes; errors name the file and the JSON path <paramref name="where"/>.</summary>
    internal static List<Box> List(JsonElement e, string path, string where)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"'{path}' {where}: expected a list of boxes, found {e.ValueKind}");
        var boxes = new List<Box>();
        int i = 0;
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 4 || item.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
                throw new InvalidDataException($"'{path}' {where}[{i}]: a box is 4 numbers [x1, y1, x2, y2], found {item.GetRawText()}");
            var v = item.EnumerateArray().Select((x, k) => Single(x, path, $"{where}[{i}][{k}]")).ToArray();
            boxes.Add(new Box(v[0], v[1], v[2], v[3]));
            i++;
        }
        return boxes;
    }

    /// <summary>A JSON number as a finite float32; anything else is an error naming the file and the JSON path.</summary>
    internal static float Single(JsonElement e, string path, string where)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && float.IsFinite((float)d)) return (float)d;
        throw new InvalidDataException($"'{path}' {where}: expected a finite number (float32 range), found {e.GetRawText()}");
    }
}
