using System.Text.Json;

namespace RegionClip.Structures;

/// <summary>One image's precomputed proposals: boxes in original pixels and, when the file has them, one objectness score per box.</summary>
public sealed record ImageProposals(IReadOnlyList<Box> Boxes, float[]? Scores)
{
    /// <summary>
    /// The boxes [K, 4] float32 in a resized (and maybe mirrored) view of the image: x · (width / original width) and
    /// y · (height / original height) with the factors in float32, then x' = width − x when <paramref name="flipped"/>.
    /// </summary>
    public Torch.Tensor InView(int originalHeight, int originalWidth, int height, int width, bool flipped)
    {
        float sx = (float)width / originalWidth, sy = (float)height / originalHeight;
        var values = new float[Boxes.Count * 4];
        for (int i = 0; i < Boxes.Count; i++)
        {
            var b = Boxes[i];
            float x1 = (float)b.X1 * sx, x2 = (float)b.X2 * sx;
            if (flipped) (x1, x2) = (width - x2, width - x1);
            (values[4 * i], values[4 * i + 1], values[4 * i + 2], values[4 * i + 3]) = (x1, (float)b.Y1 * sy, x2, (float)b.Y2 * sy);
        }
        return Torch.torch.tensor(values, Boxes.Count, 4);
    }
}

/// <summary>
/// The --proposals JSON: precomputed region proposals (e.g. exported from detectron2), boxes in the
/// original image's pixels, in one of three shapes (see <see cref="FormatHelp"/>), or a plain list of
/// [x1, y1, x2, y2] boxes for every image as --boxes takes. A file gives a
/// score for every proposal or for none; with scores, `detect` fuses them with the class
/// probabilities as it fuses an RPN's objectness.
/// </summary>
public sealed class ProposalsFile
{
    public const string FormatHelp =
        "JSON of precomputed proposals in original pixels, one of: [[x1, y1, x2, y2], …] (every image); {\"a.jpg\": [[x1, y1, x2, y2], …]}; "
        + "{\"a.jpg\": {\"boxes\": [[x1, y1, x2, y2], …], \"scores\": [objectness, …]}}; "
        + "or COCO-results-like [{\"file_name\": \"a.jpg\" or \"image_id\": N, \"bbox\": [x, y, w, h], \"score\": objectness}, …] "
        + "(image_id N = the N-th image of IMAGES, as results.json numbers them). Keys match a path as given or a file name. "
        + "With scores (raw RPN logits for --fusion Reference), --fusion applies as with --rpn";

    private readonly string _path;
    private readonly ImageProposals? _shared;                          // a plain list of boxes: every image
    private readonly Dictionary<string, ImageProposals>? _byKey;     // object shapes
    private readonly List<Record>? _records;                           // COCO-results-like list

    private sealed record Record(int Index, string? FileName, long? ImageId, Box Box, float? Score);

    private ProposalsFile(string path, ImageProposals? shared, Dictionary<string, ImageProposals>? byKey, List<Record>? records, bool hasScores)
    {
        _path = path;
        _shared = shared;
        _byKey = byKey;
        _records = records;
        HasScores = hasScores;
    }

    /// <summary>Whether the proposals carry objectness scores (then every one does).</summary>
    public bool HasScores { get; }

    public static ProposalsFile Read(string path)
    {
        using var doc = BoxesFile.Parse(path, "proposals");
        var root = doc.RootElement;
        return root.ValueKind switch
        {
            JsonValueKind.Object => ReadMap(root, path),
            JsonValueKind.Array => ReadRecords(root, path),
            _ => throw new InvalidDataException($"'{path}': expected an object {{\"image.jpg\": …}} or a list of {{\"file_name\"/\"image_id\", \"bbox\", \"score\"}} records, found {root.ValueKind}"),
        };
    }

    /// <summary>
    /// The proposals of each image, in order (image i has id i + 1). Object shapes: every image needs
    /// an entry. Records: an image without records has no proposals, and a record naming no image is an error.
    /// </summary>
    public IReadOnlyList<ImageProposals> Assign(IReadOnlyList<string> images)
    {
        if (_shared is not null) return images.Select(_ => _shared).ToList();
        if (_byKey is not null)
            return images.Select(image => _byKey.TryGetValue(image, out var p) || _byKey.TryGetValue(Path.GetFileName(image), out p)
                ? p
                : throw new InvalidDataException($"'{_path}' has no proposals for image '{image}' (keys are file names or paths as given)")).ToList();

        var perImage = images.Select(_ => new List<Record>()).ToArray();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < images.Count; i++)
        {
            byName.TryAdd(images[i], i);
            byName.TryAdd(Path.GetFileName(images[i]), i);
        }
        foreach (var r in _records!)
        {
            int image;
            if (r.FileName is not null)
            {
                if (!byName.TryGetValue(r.FileName, out image))
                    throw new InvalidDataException($"'{_path}' $[{r.Index}].file_name: '{r.FileName}' is not among the images given");
            }
            else if (r.ImageId is >= 1 && r.ImageId <= images.Count) image = (int)r.ImageId.Value - 1;
            else throw new InvalidDataException($"'{_path}' $[{r.Index}].image_id: {r.ImageId} is not the number of an image given (1 to {images.Count}, in the order of IMAGES)");
            perImage[image].Add(r);
        }
        return perImage.Select(list => new ImageProposals(
            list.Select(r => r.Box).ToList(),
            HasScores ? list.Select(r => r.Score!.Value).ToArray() : null)).ToList();
    }

    private static ProposalsFile ReadMap(JsonElement root, string path)
    {
        var map = new Dictionary<string, ImageProposals>(StringComparer.Ordinal);
        bool? scored = null;
        foreach (var entry in root.EnumerateObject())
        {
            var where = $"$[\"{entry.Name}\"]";
            ImageProposals proposals;
            if (entry.Value.ValueKind == JsonValueKind.Array) proposals = new ImageProposals(BoxesFile.List(entry.Value, path, where), null);
            else if (entry.Value.ValueKind == JsonValueKind.Object) proposals = ReadEntry(entry.Value, path, where);
            else throw new InvalidDataException($"'{path}' {where}: expected a list of [x1, y1, x2, y2] boxes or {{\"boxes\": […], \"scores\": […]}}, found {entry.Value.ValueKind}");
            CheckConsistent(ref scored, proposals.Scores is not null, path, where + (proposals.Scores is null ? "" : ".scores"));
            map[entry.Name] = proposals;
        }
        return new ProposalsFile(path, null, map, null, scored ?? false);
    }

    private static ImageProposals ReadEntry(JsonElement e, string path, string where)
    {
        List<Box>? boxes = null;
        float[]? scores = null;
        foreach (var field in e.EnumerateObject())
        {
            if (field.NameEquals("boxes")) boxes = BoxesFile.List(field.Value, path, $"{where}.boxes");
            else if (field.NameEquals("scores"))
            {
                if (field.Value.ValueKind != JsonValueKind.Array)
                    throw new InvalidDataException($"'{path}' {where}.scores: expected a list of numbers, found {field.Value.ValueKind}");
                scores = field.Value.EnumerateArray().Select((v, i) => BoxesFile.Single(v, path, $"{where}.scores[{i}]")).ToArray();
            }
            else throw new InvalidDataException($"'{path}' {where}: unknown field '{field.Name}' (expected \"boxes\" and optionally \"scores\")");
        }
        if (boxes is null) throw new InvalidDataException($"'{path}' {where}: missing \"boxes\"");
        if (scores is not null && scores.Length != boxes.Count)
            throw new InvalidDataException($"'{path}' {where}.scores: {scores.Length} score(s) for {boxes.Count} box(es)");
        return new ImageProposals(boxes, scores);
    }

    private static ProposalsFile ReadRecords(JsonElement root, string path)
    {
        // A list of boxes (as --boxes accepts) applies to every image; it has no scores.
        if (root.GetArrayLength() > 0 && root[0].ValueKind == JsonValueKind.Array)
            return new ProposalsFile(path, new ImageProposals(BoxesFile.List(root, path, "$"), null), null, null, false);
        var records = new List<Record>();
        bool? scored = null;
        int index = 0;
        foreach (var e in root.EnumerateArray())
        {
            var where = $"$[{index}]";
            if (e.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{path}' {where}: expected a {{\"file_name\"/\"image_id\", \"bbox\": [x, y, w, h], \"score\"}} record, found {e.ValueKind}");
            string? fileName = null;
            long? imageId = null;
            if (e.TryGetProperty("file_name", out var f))
                fileName = f.ValueKind == JsonValueKind.String ? f.GetString() : throw new InvalidDataException($"'{path}' {where}.file_name: expected a string, found {f.GetRawText()}");
            else if (e.TryGetProperty("image_id", out var id))
                imageId = id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var v) ? v : throw new InvalidDataException($"'{path}' {where}.image_id: expected an integer, found {id.GetRawText()}");
            else throw new InvalidDataException($"'{path}' {where}: a record needs \"file_name\" or \"image_id\"");
            if (!e.TryGetProperty("bbox", out var bbox) || bbox.ValueKind != JsonValueKind.Array || bbox.GetArrayLength() != 4)
                throw new InvalidDataException($"'{path}' {where}.bbox: expected 4 numbers [x, y, width, height], found {(e.TryGetProperty("bbox", out var b) ? b.GetRawText() : "nothing")}");
            var xywh = bbox.EnumerateArray().Select((v, k) => BoxesFile.Single(v, path, $"{where}.bbox[{k}]")).ToArray();
            if (xywh[2] < 0 || xywh[3] < 0)
                throw new InvalidDataException($"'{path}' {where}.bbox: width and height must not be negative (COCO boxes are [x, y, width, height]), found {bbox.GetRawText()}");
            float? score = e.TryGetProperty("score", out var s) ? BoxesFile.Single(s, path, $"{where}.score") : null;
            CheckConsistent(ref scored, score is not null, path, where + (score is null ? "" : ".score"));
            records.Add(new Record(index, fileName, imageId, Box.FromXywh(xywh[0], xywh[1], xywh[2], xywh[3]), score));
            index++;
        }
        return new ProposalsFile(path, null, null, records, scored ?? false);
    }

    /// <summary>Scores for all proposals or for none: a file mixing both is an error naming the first odd entry.</summary>
    private static void CheckConsistent(ref bool? scored, bool hasScores, string path, string where)
    {
        scored ??= hasScores;
        if (scored != hasScores)
            throw new InvalidDataException($"'{path}' {where}: {(hasScores ? "has scores but earlier proposals have none" : "has no scores but earlier proposals do")}; give scores for all proposals or for none");
    }
}
