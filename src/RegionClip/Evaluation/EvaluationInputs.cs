using RegionClip.Data.Coco;

namespace RegionClip.Evaluation;

/// <summary>What both front ends share: the image and category axes, input checks and per-category AP.</summary>
internal static class EvaluationInputs
{
    /// <summary>Images and categories sorted by id, as the official tools order them (imgIds/catIds = sorted(...)).</summary>
    public sealed class Axes
    {
        public Axes(CocoDataset gt)
        {
            ImageIds = gt.Images.Select(i => i.Id).Order().ToArray();
            CategoryIds = gt.Categories.Select(c => c.Id).Order().ToArray();
            ImageIndex = new Dictionary<long, int>(ImageIds.Length);
            for (int i = 0; i < ImageIds.Length; i++) ImageIndex[ImageIds[i]] = i;
            CategoryIndex = new Dictionary<long, int>(CategoryIds.Length);
            for (int k = 0; k < CategoryIds.Length; k++) CategoryIndex[CategoryIds[k]] = k;
        }

        public long[] ImageIds { get; }
        public long[] CategoryIds { get; }
        public Dictionary<long, int> ImageIndex { get; }
        public Dictionary<long, int> CategoryIndex { get; }
        public int I => ImageIds.Length;
        public int K => CategoryIds.Length;
    }

    /// <summary>Detections built in code bypass the file reader's checks; the same rules apply here.</summary>
    public static void Check(CocoDetection d, int index, string source)
    {
        if (d.Bbox is not { Length: 4 } b)
            throw new InvalidDataException($"{source}: results[{index}]: field \"bbox\" must have 4 numbers [x, y, width, height], found {d.Bbox?.Length ?? 0}");
        if (!double.IsFinite(b[0]) || !double.IsFinite(b[1]) || !double.IsFinite(b[2]) || !double.IsFinite(b[3]) || b[2] < 0 || b[3] < 0)
            throw new InvalidDataException($"{source}: results[{index}]: field \"bbox\" must be finite with non-negative width and height, found [{string.Join(", ", b)}]");
        if (!double.IsFinite(d.Score))
            throw new InvalidDataException($"{source}: results[{index}]: field \"score\" must be finite, found {d.Score}");
    }

    public static InvalidDataException UnknownImage(CocoDetection d, int index, string source, CocoDataset gt) =>
        new($"{source}: results[{index}]: field \"image_id\" {d.ImageId} is not an image of {Path.GetFileName(gt.Path)}");

    public static GtBox Gt(CocoAnnotation a, int image, bool crowd) => new()
    {
        X = a.Bbox[0], Y = a.Bbox[1], W = a.Bbox[2], H = a.Bbox[3], Area = a.Area, Id = a.Id, Image = image,
        Crowd = crowd, Ignore = crowd,
    };

    public static DtBox Dt(CocoDetection d, int image, bool notExhaustive) => new()
    {
        X = d.Bbox[0], Y = d.Bbox[1], W = d.Bbox[2], H = d.Bbox[3], Area = d.Bbox[2] * d.Bbox[3], Score = d.Score,
        Image = image, NotExhaustive = notExhaustive,
    };

    /// <summary>detectron2's per-category AP: mean of the defined precision[:, :, k, area all, last maxDets].</summary>
    public static CategoryAp[] PerCategory(CocoDataset gt, EvaluationArrays arrays)
    {
        var result = new CategoryAp[arrays.K];
        for (int k = 0; k < arrays.K; k++)
            result[k] = new CategoryAp(gt.Category(arrays.CategoryIds[k]), arrays.MeanPrecision(null, 0, arrays.M - 1, [k]));
        return result;
    }
}
