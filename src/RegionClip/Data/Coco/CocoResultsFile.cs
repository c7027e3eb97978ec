using System.Text.Json;
using RegionClip.Common;
using RegionClip.Structures;
using static RegionClip.Data.Coco.CocoJson;

namespace RegionClip.Data.Coco;

/// <summary>COCO results JSON: an array of {"image_id", "category_id", "bbox": [x, y, w, h], "score"}.</summary>
public static class CocoResultsFile
{
    /// <summary>Reads and validates a results file (ids are checked against a dataset by the evaluators).</summary>
    public static IReadOnlyList<CocoDetection> Load(string path) => Parse(path, src =>
    {
        var detections = new List<CocoDetection>();
        var r = src.Start();
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.StartArray)
            throw Error(src, $"expected COCO results (a JSON array of detections), found {Describe(r.TokenType)}");
        for (int index = 0; ; index++)
        {
            var at = new RecordRef("results", index);
            if (!NextObject(ref r, src, at)) break;
            long imageId = 0, categoryId = 0;
            double score = 0;
            double[]? bbox = null;
            bool hasImage = false, hasCategory = false, hasScore = false;
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("image_id"u8)) { imageId = Int64(ref r, src, at, "image_id"); hasImage = true; }
                else if (r.ValueTextEquals("category_id"u8)) { categoryId = Int64(ref r, src, at, "category_id"); hasCategory = true; }
                else if (r.ValueTextEquals("bbox"u8)) bbox = Box(ref r, src, at, "bbox");
                else if (r.ValueTextEquals("score"u8)) { score = Finite(ref r, src, at, "score"); hasScore = true; }
                else { Value(ref r, src); src.Skip(ref r); }
            }
            Missing(src, at, hasImage, "image_id");
            Missing(src, at, hasCategory, "category_id");
            Missing(src, at, bbox != null, "bbox");
            Missing(src, at, hasScore, "score");
            detections.Add(new CocoDetection(imageId, categoryId, bbox!, score));
        }
        return detections;
    });

    /// <summary>Writes a results file atomically (a temporary file in the same folder, then a rename).</summary>
    public static void Save(string path, IEnumerable<CocoDetection> detections)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream);
            w.WriteStartArray();
            foreach (var d in detections)
            {
                if (d.Bbox is not { Length: 4 })
                    throw new ArgumentException($"{path}: a detection of image {d.ImageId} has a bbox of {d.Bbox?.Length ?? 0} numbers, not 4");
                w.WriteStartObject();
                w.WriteNumber("image_id"u8, d.ImageId);
                w.WriteNumber("category_id"u8, d.CategoryId);
                w.WriteStartArray("bbox"u8);
                foreach (var v in d.Bbox) w.WriteNumberValue(v);
                w.WriteEndArray();
                w.WriteNumber("score"u8, d.Score);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }
}
