using System.Text.Json;

namespace RegionClip.Data;

/// <summary>One entry of a split file: a category name, or a category id.</summary>
public readonly record struct CategoryRef(string? Name, long? Id)
{
    /// <summary>True when this entry names the category <paramref name="id"/> called <paramref name="name"/>.</summary>
    public bool Matches(long id, string name) => Id == id || (Name is not null && string.Equals(Name, name, StringComparison.Ordinal));

    public override string ToString() => Name is null ? Id!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"\"{Name}\"";
}

/// <summary>
/// A base/novel split of categories, as a file holds it: <c>{"base": [...], "novel": [...]}</c>, each
/// entry a category name or id (the synthetic world's category_split.json, the COCO/LVIS split files
/// that <c>evaluate --split</c> takes). The one reader of that format; resolving the entries against a
/// dataset's categories is the caller's step (<c>OpenVocabularySplit.Load</c>).
/// </summary>
public sealed record CategorySplitFile(string Path, IReadOnlyList<CategoryRef> Base, IReadOnlyList<CategoryRef> Novel)
{
    /// <summary>True when the category (<paramref name="id"/>, <paramref name="name"/>) is listed as novel; anything else counts as base.</summary>
    public bool IsNovel(long id, string name) => Novel.Any(n => n.Matches(id, name));

    /// <summary>Reads and checks the file; errors name the file and the entry.</summary>
    public static CategorySplitFile Load(string path)
    {
        string file = System.IO.Path.GetFileName(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"category split file '{path}' does not exist", path);
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: invalid JSON: {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{file}: expected an object {{\"base\": [...], \"novel\": [...]}}, found {root.ValueKind}");
        var split = new CategorySplitFile(path, Entries(root, "base", file), Entries(root, "novel", file));
        // Names can be checked here; ids only against a dataset (OpenVocabularySplit.Load names the category then).
        if (split.Base.Where(b => b.Name is not null).Intersect(split.Novel).ToList() is [var both, ..])
            throw new InvalidDataException($"{file}: {both} is both base and novel");
        return split;
    }

    private static CategoryRef[] Entries(JsonElement root, string key, string file)
    {
        if (!root.TryGetProperty(key, out var list) || list.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{file}: \"{key}\" must be an array of category names or ids");
        var entries = new List<CategoryRef>();
        int i = 0;
        foreach (var e in list.EnumerateArray())
        {
            string where = $"{file}: \"{key}\"[{i++}]";
            if (e.ValueKind == JsonValueKind.String) entries.Add(new CategoryRef(e.GetString(), null));
            else if (e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long id)) entries.Add(new CategoryRef(null, id));
            else throw new InvalidDataException($"{where}: must be a category name (string) or id (integer), found {e.ValueKind}");
        }
        return [.. entries.Distinct()];
    }
}
