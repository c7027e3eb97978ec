using System.Text.Json;
using RegionClip.Data;
using RegionClip.Data.Coco;

namespace RegionClip.Evaluation;

/// <summary>
/// Base (seen in training) and novel (unseen) categories of an open-vocabulary benchmark, as ground-truth
/// category ids. Built in: COCO's 48/17 split of OVR-CNN (by name) and LVIS's rare = novel; or a user file
/// <c>{"base": [...], "novel": [...]}</c> whose entries are category names or ids of the ground truth.
/// </summary>
public sealed record OpenVocabularySplit(string Name, IReadOnlyList<long> BaseCategoryIds, IReadOnlyList<long> NovelCategoryIds)
{
    /// <summary>COCO_SEEN_CLS (48).</summary>
    public static readonly IReadOnlyList<string> CocoBaseNames =
    [
        "person", "bicycle", "car", "motorcycle", "train", "truck", "boat", "bench", "bird", "horse", "sheep", "bear",
        "zebra", "giraffe", "backpack", "handbag", "suitcase", "frisbee", "skis", "kite", "surfboard", "bottle", "fork",
        "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "pizza", "donut", "chair", "bed",
        "toilet", "tv", "laptop", "mouse", "remote", "microwave", "oven", "toaster", "refrigerator", "book", "clock",
        "vase", "toothbrush",
    ];

    /// <summary>COCO_UNSEEN_CLS (17).</summary>
    public static readonly IReadOnlyList<string> CocoNovelNames =
    [
        "airplane", "bus", "cat", "dog", "cow", "elephant", "umbrella", "tie", "snowboard", "skateboard", "cup", "knife",
        "cake", "couch", "keyboard", "sink", "scissors",
    ];

    /// <summary>The OVR-CNN COCO split, matched by category name; names the ground truth lacks are left out.</summary>
    public static OpenVocabularySplit CocoOvd(CocoDataset gt)
    {
        var byName = gt.Categories.GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.First().Id);
        long[] Find(IReadOnlyList<string> names) => [.. names.Where(byName.ContainsKey).Select(n => byName[n])];
        var split = new OpenVocabularySplit("coco-ovd", Find(CocoBaseNames), Find(CocoNovelNames));
        if (split.BaseCategoryIds.Count == 0 && split.NovelCategoryIds.Count == 0)
            throw new InvalidDataException($"{Path.GetFileName(gt.Path)}: none of its categories has a name of the COCO open-vocabulary split (e.g. \"person\", \"airplane\")");
        return split;
    }

    /// <summary>LVIS: rare categories are novel; common and frequent are base.</summary>
    public static OpenVocabularySplit LvisRare(CocoDataset gt)
    {
        if (gt.Categories.FirstOrDefault(c => c.Frequency is null) is { } c)
            throw new InvalidDataException($"{Path.GetFileName(gt.Path)}: category {c.Id} (\"{c.Name}\") has no \"frequency\", so rare categories are unknown");
        return new("lvis-rare", [.. gt.Categories.Where(c => c.Frequency != "r").Select(c => c.Id)],
            [.. gt.Categories.Where(c => c.Frequency == "r").Select(c => c.Id)]);
    }

    /// <summary>A split file (<see cref="CategorySplitFile"/>), resolved against the ground truth's categories.</summary>
    public static OpenVocabularySplit Load(string path, CocoDataset gt)
    {
        var split = CategorySplitFile.Load(path);
        string file = Path.GetFileName(path);
        var byName = gt.Categories.GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.First().Id);
        long[] Resolve(IReadOnlyList<CategoryRef> entries, string key) => [.. entries.Select((e, i) =>
            e.Name is not null
                ? byName.TryGetValue(e.Name, out long id) ? id
                    : throw new InvalidDataException($"{file}: \"{key}\"[{i}]: no category named \"{e.Name}\" in {Path.GetFileName(gt.Path)}")
                : gt.HasCategory(e.Id!.Value) ? e.Id.Value
                    : throw new InvalidDataException($"{file}: \"{key}\"[{i}]: no category with id {e.Id} in {Path.GetFileName(gt.Path)}")).Distinct()];
        var baseIds = Resolve(split.Base, "base");
        var novelIds = Resolve(split.Novel, "novel");
        if (baseIds.Intersect(novelIds).ToArray() is [var both, ..])
            throw new InvalidDataException($"{file}: category {both} (\"{gt.Category(both).Name}\") is both base and novel");
        return new(Path.GetFileNameWithoutExtension(path), baseIds, novelIds);
    }
}
