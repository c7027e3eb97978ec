using static RegionClip.Data.Coco.CocoJson;

namespace RegionClip.Data.Coco;

/// <summary>
/// Only the "categories" array of a COCO/LVIS file (a class vocabulary). Reading stops as soon as the array has
/// been read; what comes before it is skipped token by token without building anything.
/// </summary>
public static class CocoCategoriesFile
{
    public static IReadOnlyList<CocoCategory> Load(string path)
    {
        var categories = Parse(path, src =>
        {
            var list = new List<CocoCategory>();
            var r = src.Start();
            ExpectRootObject(ref r, src, "a COCO/LVIS file with a \"categories\" array");
            while (NextProperty(ref r, src))
            {
                if (r.ValueTextEquals("categories"u8))
                {
                    CocoDatasetReader.ReadCategoryArray(ref r, src, list);
                    return list;
                }
                Value(ref r, src);
                src.Skip(ref r);
            }
            throw Error(src, "missing the \"categories\" array");
        });
        CocoDatasetReader.IndexIds(Path.GetFileName(path), "categories", categories.Count, i => categories[i].Id);
        return categories;
    }

    /// <summary>
    /// A COCO/LVIS JSON's categories as a vocabulary: names and ids in ascending id, the row order of
    /// the official embedding files (coco_65_cls_emb.pth, lvis_1203_cls_emb.pth). Reads only the
    /// "categories" array, so it is cheap even for LVIS's 1 GB training file.
    /// </summary>
    public static (IReadOnlyList<string> Names, IReadOnlyList<long> Ids) Vocabulary(string path)
    {
        var cats = Load(path).OrderBy(c => c.Id).ToList();
        if (cats.Count == 0) throw new InvalidDataException($"'{path}' has no categories");
        return (cats.Select(c => c.Name).ToList(), cats.Select(c => c.Id).ToList());
    }
}
