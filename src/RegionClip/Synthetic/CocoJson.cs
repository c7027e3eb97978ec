using System.Text.Json;

namespace RegionClip.Synthetic;

/// <summary>The world's COCO-format files (instances, captions) and its base/novel split file.</summary>
internal static class CocoJson
{
    internal static void WriteInstances(Utf8JsonWriter w, WorldOptions options, (string File, bool Single, IReadOnlyList<ObjectAnnotation> Annotations)[] images)
    {
        w.WriteStartObject();
        WriteInfo(w, options);
        WriteImages(w, options, images.Select(i => (i.File, i.Single)).ToArray());
        w.WriteStartArray("annotations");
        int id = 1;
        for (int i = 0; i < images.Length; i++)
            foreach (var a in images[i].Annotations)
            {
                w.WriteStartObject();
                w.WriteNumber("id", id++);
                w.WriteNumber("image_id", i + 1);
                w.WriteNumber("category_id", WorldCategories.All[a.CategoryIndex].Id);
                w.WriteStartArray("bbox");
                w.WriteNumberValue(a.X);
                w.WriteNumberValue(a.Y);
                w.WriteNumberValue(a.Width);
                w.WriteNumberValue(a.Height);
                w.WriteEndArray();
                w.WriteNumber("area", a.Area);
                w.WriteNumber("iscrowd", 0);
                w.WriteNumber("visible_fraction", Math.Round(a.VisibleFraction, 4));
                w.WriteEndObject();
            }
        w.WriteEndArray();
        WriteCategories(w);
        w.WriteEndObject();
    }

    internal static void WriteCaptions(Utf8JsonWriter w, WorldOptions options, (string File, bool Single, string[] Captions)[] images)
    {
        w.WriteStartObject();
        WriteInfo(w, options);
        WriteImages(w, options, images.Select(i => (i.File, i.Single)).ToArray());
        w.WriteStartArray("annotations");
        int id = 1;
        for (int i = 0; i < images.Length; i++)
            foreach (var caption in images[i].Captions)
            {
                w.WriteStartObject();
                w.WriteNumber("id", id++);
                w.WriteNumber("image_id", i + 1);
                w.WriteString("caption", caption);
                w.WriteEndObject();
            }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>{"base": [names], "novel": [names]}.</summary>
    internal static void WriteCategorySplit(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartArray("base");
        foreach (var c in WorldCategories.Base) w.WriteStringValue(c.Name);
        w.WriteEndArray();
        w.WriteStartArray("novel");
        foreach (var c in WorldCategories.Novel) w.WriteStringValue(c.Name);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteInfo(Utf8JsonWriter w, WorldOptions options)
    {
        w.WriteStartObject("info");
        w.WriteString("description", "RegionCLIP for .NET synthetic world");
        w.WriteString("version", "1");
        w.WriteString("split", options.Split);
        w.WriteNumber("seed", options.Seed);
        w.WriteNumber("width", options.Width);
        w.WriteNumber("height", options.Height);
        w.WriteNumber("single_object_fraction", options.ResolvedSingleObjectFraction);
        if (options.Categories != WorldCategorySet.All) w.WriteString("categories_drawn", options.Categories.ToString().ToLowerInvariant());
        w.WriteEndObject();
    }

    private static void WriteImages(Utf8JsonWriter w, WorldOptions options, (string File, bool Single)[] images)
    {
        w.WriteStartArray("images");
        for (int i = 0; i < images.Length; i++)
        {
            w.WriteStartObject();
            w.WriteNumber("id", i + 1);
            w.WriteString("file_name", images[i].File);
            w.WriteNumber("width", options.Width);
            w.WriteNumber("height", options.Height);
            w.WriteBoolean("single_object", images[i].Single);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteCategories(Utf8JsonWriter w)
    {
        w.WriteStartArray("categories");
        foreach (var c in WorldCategories.All)
        {
            w.WriteStartObject();
            w.WriteNumber("id", c.Id);
            w.WriteString("name", c.Name);
            w.WriteString("supercategory", "object");
            w.WriteString("split", c.IsNovel ? "novel" : "base");
            w.WriteStartArray("synonyms");
            foreach (var n in c.Names) w.WriteStringValue(n.Singular);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
