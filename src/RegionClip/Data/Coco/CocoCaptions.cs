using static RegionClip.Data.Coco.CocoJson;

namespace RegionClip.Data.Coco;

/// <summary>A COCO Captions file (captions_*.json): images and their captions, validated on load.</summary>
public sealed class CocoCaptions
{
    private readonly Dictionary<long, int> _imageIndex;
    private readonly CocoCaption[][] _byImage;

    private CocoCaptions(string path, CocoImage[] images, CocoCaption[] captions, Dictionary<long, int> imageIndex)
    {
        Path = path;
        Images = images;
        Captions = captions;
        _imageIndex = imageIndex;
        var lists = new List<CocoCaption>?[images.Length];
        foreach (var c in captions) (lists[imageIndex[c.ImageId]] ??= []).Add(c);
        _byImage = Array.ConvertAll(lists, l => l?.ToArray() ?? []);
    }

    public string Path { get; }
    public IReadOnlyList<CocoImage> Images { get; }

    /// <summary>All captions in file order.</summary>
    public IReadOnlyList<CocoCaption> Captions { get; }

    public IReadOnlyList<CocoCaption> CaptionsOf(long imageId) =>
        _imageIndex.TryGetValue(imageId, out int i) ? _byImage[i] : throw new KeyNotFoundException($"{Path}: no image with id {imageId}");

    public static CocoCaptions Load(string path)
    {
        var (images, captions) = Parse(path, src =>
        {
            var images = new List<CocoImage>();
            var captions = new List<(CocoCaption Caption, long Id)>();
            bool sawImages = false, sawAnnotations = false;
            var r = src.Start();
            ExpectRootObject(ref r, src, "a COCO Captions file");
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("images"u8)) { sawImages = true; ReadImages(ref r, src, images); }
                else if (r.ValueTextEquals("annotations"u8)) { sawAnnotations = true; ReadCaptions(ref r, src, captions); }
                else { Value(ref r, src); src.Skip(ref r); }
            }
            if (!sawImages) throw Error(src, "missing the \"images\" array");
            if (!sawAnnotations) throw Error(src, "missing the \"annotations\" array");
            return (images, captions);
        });
        string file = System.IO.Path.GetFileName(path);
        var imageIndex = CocoDatasetReader.IndexIds(file, "images", images.Count, i => images[i].Id);
        CocoDatasetReader.IndexIds(file, "annotations", captions.Count, i => captions[i].Id);
        for (int i = 0; i < captions.Count; i++)
            if (!imageIndex.ContainsKey(captions[i].Caption.ImageId))
                throw new InvalidDataException($"{file}: annotations[{i}] (id {captions[i].Id}): field \"image_id\" {captions[i].Caption.ImageId} is not the id of any image");
        return new CocoCaptions(path, [.. images], captions.ConvertAll(c => c.Caption).ToArray(), imageIndex);
    }

    private static void ReadImages(ref System.Text.Json.Utf8JsonReader r, JsonFileReader src, List<CocoImage> images)
    {
        ExpectArray(ref r, src, "images");
        for (int index = 0; ; index++)
        {
            var at = new RecordRef("images", index);
            if (!NextObject(ref r, src, at)) return;
            long id = 0;
            int width = 0, height = 0;
            bool hasId = false;
            string? fileName = null;
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("id"u8)) { id = Int64(ref r, src, at, "id"); at.Id = id; hasId = true; }
                else if (r.ValueTextEquals("file_name"u8)) fileName = String(ref r, src, at, "file_name");
                else if (r.ValueTextEquals("width"u8)) width = Int32(ref r, src, at, "width");
                else if (r.ValueTextEquals("height"u8)) height = Int32(ref r, src, at, "height");
                else { Value(ref r, src); src.Skip(ref r); }
            }
            Missing(src, at, hasId, "id");
            Missing(src, at, fileName != null, "file_name");
            images.Add(new CocoImage(id, fileName!, width, height));
        }
    }

    private static void ReadCaptions(ref System.Text.Json.Utf8JsonReader r, JsonFileReader src, List<(CocoCaption, long)> captions)
    {
        ExpectArray(ref r, src, "annotations");
        for (int index = 0; ; index++)
        {
            var at = new RecordRef("annotations", index);
            if (!NextObject(ref r, src, at)) return;
            long id = 0, imageId = 0;
            bool hasId = false, hasImage = false;
            string? caption = null;
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("id"u8)) { id = Int64(ref r, src, at, "id"); at.Id = id; hasId = true; }
                else if (r.ValueTextEquals("image_id"u8)) { imageId = Int64(ref r, src, at, "image_id"); hasImage = true; }
                else if (r.ValueTextEquals("caption"u8)) caption = String(ref r, src, at, "caption");
                else { Value(ref r, src); src.Skip(ref r); }
            }
            Missing(src, at, hasId, "id");
            Missing(src, at, hasImage, "image_id");
            Missing(src, at, caption != null, "caption");
            captions.Add((new CocoCaption(imageId, caption!), id));
        }
    }
}
