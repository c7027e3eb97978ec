using RegionClip.Checkpoints;
using RegionClip.Common;
using RegionClip.Text;
using RegionClip.Torch;

namespace RegionClip.Modeling.Clip;

/// <summary>
/// A vocabulary for region recognition: concept names and their CLIP embeddings [K, D]
/// (mean of the 81 prompt embeddings, not normalised), optionally with the dataset
/// category id of each concept. Built from names (once per model and name list, then cached),
/// read from an official <c>*_emb.pth</c> file, or from a COCO/LVIS categories list.
/// </summary>
public sealed class ConceptPool : IDisposable
{
    private ConceptPool(IReadOnlyList<string> names, Tensor embeddings, IReadOnlyList<long>? categoryIds)
    {
        Names = names;
        Embeddings = embeddings;
        CategoryIds = categoryIds;
    }

    public IReadOnlyList<string> Names { get; }
    /// <summary>float32 [Count, Dim], not normalised (consumers normalise at use, as RegionCLIP does).</summary>
    public Tensor Embeddings { get; }
    /// <summary>Dataset category id per concept (from a categories file), else null.</summary>
    public IReadOnlyList<long>? CategoryIds { get; }
    public int Count => Names.Count;
    public int Dim => (int)Embeddings.size(1);

    /// <summary>Takes ownership of <paramref name="embeddings"/> [K, D].</summary>
    public static ConceptPool FromEmbeddings(Tensor embeddings, IReadOnlyList<string>? names = null, IReadOnlyList<long>? categoryIds = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.ndim != 2)
            throw new ArgumentException($"concept embeddings must be [concepts, dim], got [{string.Join(", ", embeddings.shape)}]");
        var k = (int)embeddings.size(0);
        names ??= Enumerable.Range(0, k).Select(i => $"concept_{i}").ToList();
        if (names.Count != k) throw new ArgumentException($"{names.Count} concept names for {k} embedding rows");
        if (categoryIds is not null && categoryIds.Count != k) throw new ArgumentException($"{categoryIds.Count} category ids for {k} concepts");
        return new ConceptPool(names, embeddings, categoryIds);
    }

    /// <summary>
    /// Embeds the names with the model's text tower (81 templates each). With a cache, an identical
    /// request (same text weights, same names in the same order) is read back instead of recomputed.
    /// </summary>
    public static ConceptPool Create(ClipModel model, ClipTokenizer tokenizer, IReadOnlyList<string> names,
        IReadOnlyList<long>? categoryIds = null, ConceptCache? cache = null, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        ValidateNames(names);
        var cached = cache?.TryLoad(model, names);
        if (cached is not null) return FromEmbeddings(cached, names, categoryIds);
        var embeddings = new TextEncoder(model, tokenizer).EncodeConcepts(names, progress, cancel);
        cache?.Store(model, names, embeddings);
        return FromEmbeddings(embeddings, names, categoryIds);
    }

    /// <summary>
    /// Reads an embedding file (a bare [K, D] tensor, as the official *_emb.pth files). Names come
    /// from <paramref name="namesPath"/>, else from the "FILE.names.txt" this class writes beside it,
    /// else are "concept_i".
    /// </summary>
    public static ConceptPool Load(string path, string? namesPath = null)
    {
        var embeddings = ConceptEmbeddingFile.Load(path);
        try
        {
            namesPath ??= File.Exists(NamesFileOf(path)) ? NamesFileOf(path) : null;
            var names = namesPath is null ? null : ConceptNames.ReadFile(namesPath);
            if (names is not null && names.Count != embeddings.size(0))
                throw new InvalidDataException($"'{namesPath}' lists {names.Count} names but '{path}' holds {embeddings.size(0)} embeddings");
            return FromEmbeddings(embeddings, names);
        }
        catch
        {
            embeddings.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the embeddings as the official files are (a bare tensor, loadable with torch.load) and
    /// the names, one per line, to "FILE.names.txt".
    /// </summary>
    public void Save(string path)
    {
        ConceptEmbeddingFile.Save(Embeddings, path);
        var names = NamesFileOf(path);
        AtomicFile.WriteText(names, w => { foreach (var n in Names) w.WriteLine(n); });
    }

    /// <summary>"x.pth" → "x.names.txt".</summary>
    public static string NamesFileOf(string embeddingPath) => Path.ChangeExtension(embeddingPath, null) + ".names.txt";

    public static void ValidateNames(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0) throw new ArgumentException("the vocabulary is empty: give at least one concept name");
        for (int i = 0; i < names.Count; i++)
            if (string.IsNullOrWhiteSpace(PromptTemplates.PrepareName(names[i])))
                throw new ArgumentException($"concept name #{i + 1} is empty");
        var dup = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"concept '{dup.Key}' is listed twice");
    }

    public void Dispose() => Embeddings.Dispose();
}
