using System.Text.Json;
using RegionClip.Data.Coco;
using RegionClip.Torch;

namespace RegionClip.Data.Datasets;

/// <summary>One image's texts: captions (the model picks one) and/or tags (the official TSV's "tags").</summary>
public sealed record ImageTexts(IReadOnlyList<string> Captions, IReadOnlyList<string> Tags)
{
    public bool IsEmpty => Captions.Count == 0 && Tags.Count == 0;
}

/// <summary>
/// Image–caption pairs for region–text pretraining, whatever the file: a COCO Captions JSON, JSON Lines
/// of <c>{"image": "a.jpg", "caption": "…"}</c> (or <c>"captions": […]</c>; an image on several lines
/// gathers them), or the official TSV pair (an image TSV of key, base64 image rows and a text TSV of
/// key, JSON rows with "captions" and/or "tags"). Images are decoded when a step needs them, so a
/// corpus larger than memory trains. Image names are what a proposals file is keyed by.
/// </summary>
public abstract class ImageTextPairs : IDisposable
{
    public abstract int Count { get; }
    /// <summary>The file the pairs came from (for messages).</summary>
    public abstract string Source { get; }
    /// <summary>The image's name: its path relative to the image folder, or its TSV key.</summary>
    public abstract string Name(int index);
    public abstract ImageTexts Texts(int index);
    /// <summary>Decodes image <paramref name="index"/>: uint8 [H, W, 3] RGB. Throws naming the image when it cannot.</summary>
    public abstract Tensor ReadImage(int index);

    /// <summary>
    /// Opens <paramref name="captions"/> (.json, .jsonl or .tsv) with images under <paramref name="images"/>
    /// (a folder; for a text TSV, the image TSV). Pairs whose image file is missing are dropped and named
    /// once through <paramref name="warn"/>; none left is an error.
    /// </summary>
    public static ImageTextPairs Open(string captions, string images, Action<string>? warn = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(captions);
        ArgumentException.ThrowIfNullOrEmpty(images);
        if (!File.Exists(captions)) throw new FileNotFoundException($"caption file '{captions}' does not exist", captions);
        if (captions.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)) return TsvImageTextPairs.Open(images, captions);
        if (!Directory.Exists(images)) throw new DirectoryNotFoundException($"image folder '{images}' (data.images) does not exist");
        var entries = captions.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? ReadJsonLines(captions) : ReadCoco(captions);
        var present = entries.Where(e => File.Exists(Path.Combine(images, e.Name))).ToList();
        var missing = entries.Count - present.Count;
        if (present.Count == 0)
            throw new FileNotFoundException($"'{captions}': none of its {entries.Count} images is under '{images}' (first: '{entries.FirstOrDefault().Name}')");
        if (missing > 0)
        {
            var first = entries.Where(e => !File.Exists(Path.Combine(images, e.Name))).Take(3).Select(e => $"'{e.Name}'");
            warn?.Invoke($"'{captions}': {missing} of {entries.Count} images are missing under '{images}' and are skipped ({string.Join(", ", first)}{(missing > 3 ? ", …" : "")})");
        }
        return new FolderImageTextPairs(captions, images, present);
    }

    private static List<(string Name, ImageTexts Texts)> ReadCoco(string path)
    {
        var coco = CocoCaptions.Load(path);
        var result = new List<(string, ImageTexts)>();
        foreach (var image in coco.Images)
        {
            var texts = coco.CaptionsOf(image.Id).Select(c => c.Caption).Where(c => !string.IsNullOrWhiteSpace(c)).ToList();
            if (texts.Count == 0) continue;   // an image without captions teaches nothing
            if (image.FileName is null) throw new InvalidDataException($"{Path.GetFileName(path)}: image id {image.Id} has no \"file_name\"");
            result.Add((image.FileName, new ImageTexts(texts, [])));
        }
        if (result.Count == 0) throw new InvalidDataException($"'{path}': no image has a caption");
        return result;
    }

    private static List<(string Name, ImageTexts Texts)> ReadJsonLines(string path)
    {
        var order = new List<string>();
        var byImage = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string at = $"{Path.GetFileName(path)}:{lineNumber}";
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{at}: not a JSON object: {e.Message}", e);
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{at}: expected {{\"image\": …, \"caption\": …}}, found {root.ValueKind}");
                var image = root.TryGetProperty("image", out var im) && im.ValueKind == JsonValueKind.String ? im.GetString()! : throw new InvalidDataException($"{at}: no \"image\" string");
                var captions = new List<string>();
                if (root.TryGetProperty("caption", out var c))
                    captions.Add(c.ValueKind == JsonValueKind.String ? c.GetString()! : throw new InvalidDataException($"{at}: \"caption\" must be a string"));
                if (root.TryGetProperty("captions", out var cs))
                {
                    if (cs.ValueKind != JsonValueKind.Array || cs.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                        throw new InvalidDataException($"{at}: \"captions\" must be a list of strings");
                    captions.AddRange(cs.EnumerateArray().Select(x => x.GetString()!));
                }
                captions.RemoveAll(string.IsNullOrWhiteSpace);
                if (captions.Count == 0) throw new InvalidDataException($"{at}: no \"caption\" (or \"captions\") text for '{image}'");
                if (!byImage.TryGetValue(image, out var list)) { byImage[image] = list = []; order.Add(image); }
                list.AddRange(captions);
            }
        }
        if (order.Count == 0) throw new InvalidDataException($"'{path}' holds no image–caption pairs");
        return order.ConvertAll(n => (n, new ImageTexts(byImage[n], [])));
    }

    public abstract void Dispose();
}

/// <summary>Pairs whose images are files under a folder.</summary>
internal sealed class FolderImageTextPairs(string source, string root, List<(string Name, ImageTexts Texts)> entries) : ImageTextPairs
{
    public override int Count => entries.Count;
    public override string Source => source;
    public override string Name(int index) => entries[index].Name;
    public override ImageTexts Texts(int index) => entries[index].Texts;
    public override Tensor ReadImage(int index) => ImageIO.Read(Path.Combine(root, entries[index].Name));

    public override void Dispose()
    {
    }
}
