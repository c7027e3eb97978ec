namespace RegionClip.Data.Coco;

/// <summary>
/// An entry of a COCO/LVIS "images" array. LVIS files have no file_name: it is the last segment of
/// coco_url. Evaluation needs neither (pycocotools reads only id, width and height), so a file may
/// lack both; <see cref="CocoDataset.ImageFile"/> asks for it where the image itself is read.
/// </summary>
public sealed record CocoImage(long Id, string? FileName, int Width, int Height);

/// <summary>An entry of "categories"; <paramref name="Frequency"/> is LVIS's "r"/"c"/"f" (null in COCO files).</summary>
public sealed record CocoCategory(long Id, string Name, string? Frequency);

/// <summary>A ground-truth box. <paramref name="Bbox"/> is [x, y, width, height]; the segmentation is not kept.</summary>
public sealed record CocoAnnotation(long Id, long ImageId, long CategoryId, double[] Bbox, double Area, bool IsCrowd);

/// <summary>One entry of a COCO results file. <paramref name="Bbox"/> is [x, y, width, height].</summary>
public sealed record CocoDetection(long ImageId, long CategoryId, double[] Bbox, double Score);

/// <summary>One caption of a COCO Captions file.</summary>
public sealed record CocoCaption(long ImageId, string Caption);
