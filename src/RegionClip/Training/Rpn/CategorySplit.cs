using System.Text.Json;

namespace RegionClip.Training.Rpn;

/// <summary>
/// A base/novel split of category names, as the synthetic world writes it (category_split.json:
/// {"base": [names], "novel": [names]}). A category named in neither list counts as base.
/// </summary>
public sealed record CategorySplit(IReadOnlySet<string> Base, IReadOnlySet<string> Novel)
{
    public bool IsNovel(string name) => Novel.Contains(name);

    /// <summary>Reads the split file; errors name the file and the entry.</summary>
    public static CategorySplit Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"category split file '{path}' does not exist", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            HashSet<string> Names(string key)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(key, out var list) || list.ValueKind != JsonValueKind.Array)
                    throw new InvalidDataException($"'{path}' has no \"{key}\" array (expected {{\"base\": [names], \"novel\": [names]}})");
                return list.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()!
                    : throw new InvalidDataException($"'{path}': \"{key}\"[{i}] is not a string")).ToHashSet(StringComparer.Ordinal);
            }
            var split = new CategorySplit(Names("base"), Names("novel"));
            var both = split.Base.Intersect(split.Novel).ToList();
            if (both.Count > 0) throw new InvalidDataException($"'{path}': {both.Count} categor(ies) are both base and novel, e.g. '{both[0]}'");
            return split;
        }
    }
}
