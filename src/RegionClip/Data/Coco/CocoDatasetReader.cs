using System.Text.Json;
using RegionClip.Structures;
using static RegionClip.Data.Coco.CocoJson;

namespace RegionClip.Data.Coco;

/// <summary>Streaming parser and validator of COCO/LVIS instances files (<see cref="CocoDataset.Load"/>).</summary>
internal static class CocoDatasetReader
{
    private sealed class Sections
    {
        public readonly List<CocoImage> Images = [];
        public readonly List<long[]?> Negative = [];
        public readonly List<long[]?> NotExhaustive = [];
        public readonly List<CocoCategory> Categories = [];
        public readonly List<CocoAnnotation> Annotations = [];
        public bool SawImages, SawCategories;
    }

    public static CocoDataset Read(string path)
    {
        var s = Parse(path, src =>
        {
            var s = new Sections();
            var r = src.Start();
            ExpectRootObject(ref r, src, "a COCO/LVIS instances file");
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("images"u8)) ReadImages(ref r, src, s);
                else if (r.ValueTextEquals("categories"u8)) ReadCategories(ref r, src, s);
                else if (r.ValueTextEquals("annotations"u8)) ReadAnnotations(ref r, src, s.Annotations);
                else
                {
                    Value(ref r, src);
                    src.Skip(ref r);
                }
            }
            if (!s.SawImages) throw Error(src, "missing the \"images\" array");
            if (!s.SawCategories) throw Error(src, "missing the \"categories\" array");
            return s;
        });
        return Validate(path, s);
    }

    private static void ReadImages(ref Utf8JsonReader r, JsonFileReader src, Sections s)
    {
        s.SawImages = true;
        ExpectArray(ref r, src, "images");
        for (int index = 0; ; index++)
        {
            var at = new RecordRef("images", index);
            if (!NextObject(ref r, src, at)) return;
            long id = 0;
            int width = 0, height = 0;
            bool hasId = false, hasWidth = false, hasHeight = false;
            string? fileName = null, url = null;
            long[]? negative = null, notExhaustive = null;
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("id"u8)) { id = Int64(ref r, src, at, "id"); at.Id = id; hasId = true; }
                else if (r.ValueTextEquals("file_name"u8)) fileName = String(ref r, src, at, "file_name");
                else if (r.ValueTextEquals("coco_url"u8)) url = String(ref r, src, at, "coco_url");
                else if (r.ValueTextEquals("width"u8)) { width = Int32(ref r, src, at, "width"); hasWidth = true; }
                else if (r.ValueTextEquals("height"u8)) { height = Int32(ref r, src, at, "height"); hasHeight = true; }
                else if (r.ValueTextEquals("neg_category_ids"u8)) negative = IdList(ref r, src, at, "neg_category_ids");
                else if (r.ValueTextEquals("not_exhaustive_category_ids"u8)) notExhaustive = IdList(ref r, src, at, "not_exhaustive_category_ids");
                else { Value(ref r, src); src.Skip(ref r); }
            }
            Missing(src, at, hasId, "id");
            Missing(src, at, hasWidth, "width");
            Missing(src, at, hasHeight, "height");
            // LVIS images have no file_name; their file is the last segment of coco_url.
            fileName ??= url?[(url.LastIndexOf('/') + 1)..];
            s.Images.Add(new CocoImage(id, fileName, width, height));
            s.Negative.Add(negative);
            s.NotExhaustive.Add(notExhaustive);
        }
    }

    private static void ReadCategories(ref Utf8JsonReader r, JsonFileReader src, Sections s)
    {
        s.SawCategories = true;
        ReadCategoryArray(ref r, src, s.Categories);
    }

    /// <summary>The "categories" array (also used alone by <see cref="CocoCategoriesFile"/>).</summary>
    internal static void ReadCategoryArray(ref Utf8JsonReader r, JsonFileReader src, List<CocoCategory> categories)
    {
        ExpectArray(ref r, src, "categories");
        for (int index = 0; ; index++)
        {
            var at = new RecordRef("categories", index);
            if (!NextObject(ref r, src, at)) return;
            long id = 0;
            bool hasId = false;
            string? name = null, frequency = null;
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("id"u8)) { id = Int64(ref r, src, at, "id"); at.Id = id; hasId = true; }
                else if (r.ValueTextEquals("name"u8)) name = String(ref r, src, at, "name");
                else if (r.ValueTextEquals("frequency"u8))
                {
                    frequency = String(ref r, src, at, "frequency") switch
                    {
                        "r" => "r",
                        "c" => "c",
                        "f" => "f",
                        var f => throw Error(src, at, $"field \"frequency\" must be \"r\", \"c\" or \"f\", found \"{f}\""),
                    };
                }
                else { Value(ref r, src); src.Skip(ref r); }
            }
            Missing(src, at, hasId, "id");
            Missing(src, at, name != null, "name");
            categories.Add(new CocoCategory(id, name!, frequency));
        }
    }

    private static void ReadAnnotations(ref Utf8JsonReader r, JsonFileReader src, List<CocoAnnotation> annotations)
    {
        ExpectArray(ref r, src, "annotations");
        for (int index = 0; ; index++)
        {
            var at = new RecordRef("annotations", index);
            if (!NextObject(ref r, src, at)) return;
            long id = 0, imageId = 0, categoryId = 0;
            double area = 0;
            double[]? bbox = null;
            bool hasId = false, hasImage = false, hasCategory = false, hasArea = false, crowd = false;
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("id"u8)) { id = Int64(ref r, src, at, "id"); at.Id = id; hasId = true; }
                else if (r.ValueTextEquals("image_id"u8)) { imageId = Int64(ref r, src, at, "image_id"); hasImage = true; }
                else if (r.ValueTextEquals("category_id"u8)) { categoryId = Int64(ref r, src, at, "category_id"); hasCategory = true; }
                else if (r.ValueTextEquals("bbox"u8)) bbox = Box(ref r, src, at, "bbox");
                else if (r.ValueTextEquals("area"u8)) { area = Finite(ref r, src, at, "area"); hasArea = true; }
                else if (r.ValueTextEquals("iscrowd"u8)) crowd = Flag(ref r, src, at, "iscrowd");
                else { Value(ref r, src); src.Skip(ref r); }
            }
            Missing(src, at, hasId, "id");
            Missing(src, at, hasImage, "image_id");
            Missing(src, at, hasCategory, "category_id");
            Missing(src, at, bbox != null, "bbox");
            Missing(src, at, hasArea, "area");
            if (area < 0) throw Error(src, at, $"field \"area\" must not be negative, found {area}");
            annotations.Add(new CocoAnnotation(id, imageId, categoryId, bbox!, area, crowd));
        }
    }

    private static CocoDataset Validate(string path, Sections s)
    {
        string file = System.IO.Path.GetFileName(path);
        var imageIndex = IndexIds(file, "images", s.Images.Count, i => s.Images[i].Id);
        var categoryIndex = IndexIds(file, "categories", s.Categories.Count, i => s.Categories[i].Id);
        RejectDuplicates(file, "annotations", s.Annotations.Count, i => s.Annotations[i].Id);
        for (int i = 0; i < s.Annotations.Count; i++)
        {
            var a = s.Annotations[i];
            if (!imageIndex.ContainsKey(a.ImageId))
                throw new InvalidDataException($"{file}: annotations[{i}] (id {a.Id}): field \"image_id\" {a.ImageId} is not the id of any image");
            if (!categoryIndex.ContainsKey(a.CategoryId))
                throw new InvalidDataException($"{file}: annotations[{i}] (id {a.Id}): field \"category_id\" {a.CategoryId} is not the id of any category");
        }
        CheckCategoryLists(file, "neg_category_ids", s.Images, s.Negative, categoryIndex);
        CheckCategoryLists(file, "not_exhaustive_category_ids", s.Images, s.NotExhaustive, categoryIndex);
        return new CocoDataset(path, [.. s.Images], [.. s.Categories], [.. s.Annotations],
            [.. s.Negative], [.. s.NotExhaustive], imageIndex, categoryIndex);
    }

    private static void CheckCategoryLists(string file, string field, List<CocoImage> images, List<long[]?> lists, Dictionary<long, int> categories)
    {
        for (int i = 0; i < lists.Count; i++)
        {
            if (lists[i] is not { } ids) continue;
            foreach (long c in ids)
                if (!categories.ContainsKey(c))
                    throw new InvalidDataException($"{file}: images[{i}] (id {images[i].Id}): field \"{field}\" names category {c}, which is not the id of any category");
        }
    }

    /// <summary>id → position, refusing duplicates with both positions named.</summary>
    internal static Dictionary<long, int> IndexIds(string file, string section, int count, Func<int, long> idOf)
    {
        var index = new Dictionary<long, int>(count);
        for (int i = 0; i < count; i++)
            if (!index.TryAdd(idOf(i), i))
                throw new InvalidDataException($"{file}: {section}[{i}] (id {idOf(i)}): duplicate id (also {section}[{index[idOf(i)]}])");
        return index;
    }

    /// <summary>Duplicate check by sorting (cheaper than a dictionary for the million annotations of LVIS).</summary>
    private static void RejectDuplicates(string file, string section, int count, Func<int, long> idOf)
    {
        var ids = new long[count];
        var at = new int[count];
        for (int i = 0; i < count; i++) (ids[i], at[i]) = (idOf(i), i);
        Array.Sort(ids, at);
        for (int i = 1; i < count; i++)
            if (ids[i] == ids[i - 1])
            {
                var (first, second) = (Math.Min(at[i], at[i - 1]), Math.Max(at[i], at[i - 1]));
                throw new InvalidDataException($"{file}: {section}[{second}] (id {ids[i]}): duplicate id (also {section}[{first}])");
            }
    }
}
