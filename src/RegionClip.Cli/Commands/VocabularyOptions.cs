using System.CommandLine;
using RegionClip.Data.Coco;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Text;

namespace RegionClip.Cli.Commands;

/// <summary>
/// The ways to name a vocabulary: --classes, --vocab-file, --categories or --concepts,
/// plus the BPE file and the concept cache switch.
/// </summary>
internal sealed class VocabularyOptions
{
    internal Option<string?> Classes { get; } = new("--classes") { Description = "Comma-separated concept names, e.g. \"cat,dog,teddy bear\"" };
    internal Option<string?> VocabFile { get; } = new("--vocab-file") { Description = "Text file, one concept name per line (text after a comma is ignored)" };
    internal Option<string?> Categories { get; } = new("--categories") { Description = "COCO/LVIS JSON whose \"categories\" are the vocabulary (rows in ascending category id)" };
    internal Option<string?> Concepts { get; } = new("--concepts") { Description = "Precomputed concept embeddings [K, D]: a .pth (e.g. lvis_1203_cls_emb.pth, an extract-concepts output) or a NumPy .npy (Detic/VLPart/YOLO-World classifiers)" };
    internal Option<string?> Vocab { get; } = CommonOptions.Vocab();
    internal Option<bool> NoCache { get; } = new("--no-cache") { Description = $"Do not read or write cached concept embeddings (default cache: ${ConceptCache.EnvironmentVariable}/concepts or ~/.cache/regionclip/concepts)" };

    internal IEnumerable<Option> All(bool includeConcepts = true)
    {
        yield return Classes;
        yield return VocabFile;
        yield return Categories;
        if (includeConcepts) yield return Concepts;
        yield return Vocab;
        yield return NoCache;
    }

    internal bool AnyGiven(ParseResult pr) =>
        pr.GetValue(Classes) is not null || pr.GetValue(VocabFile) is not null || pr.GetValue(Categories) is not null || pr.GetValue(Concepts) is not null;

    /// <summary>The concept pool the options name, or null when none is given.</summary>
    internal ConceptPool? Build(ParseResult pr, RegionClipModel model)
    {
        var given = new[] { ("--classes", pr.GetValue(Classes)), ("--vocab-file", pr.GetValue(VocabFile)), ("--categories", pr.GetValue(Categories)), ("--concepts", pr.GetValue(Concepts)) }
            .Where(o => o.Item2 is not null).ToList();
        if (given.Count == 0) return null;
        if (given.Count > 1)
            throw new ArgumentException($"give one vocabulary, not {string.Join(" and ", given.Select(g => g.Item1))}");
        var (option, value) = given[0];
        ConceptPool pool;
        if (option == "--concepts")
            pool = ConceptPool.Load(value!);
        else
        {
            var (names, ids) = option switch
            {
                "--classes" => (ConceptNames.Parse(value!), null),
                "--vocab-file" => (ConceptNames.ReadFile(value!), null),
                _ => CocoCategoriesFile.Vocabulary(value!),
            };
            if (names.Count == 0) throw new ArgumentException($"{option} names no concepts");
            pool = Embed(pr, model, names, ids);
        }
        if (pool.Dim != model.EmbedDim)
        {
            var dim = pool.Dim;
            pool.Dispose();
            throw new ArgumentException($"the concept embeddings have {dim} dimensions but '{model.Source}' makes {model.EmbedDim}-dimensional regions (RN50: 1024, RN50x4: 640): use embeddings of the same model size");
        }
        return pool;
    }

    internal ConceptPool Embed(ParseResult pr, RegionClipModel model, IReadOnlyList<string> names, IReadOnlyList<long>? ids)
    {
        ConceptPool.ValidateNames(names);
        var tokenizer = ClipTokenizer.Load(VocabularyLocator.Resolve(pr.GetValue(Vocab)));
        var cache = pr.GetValue(NoCache) ? null : ConceptCache.Default;
        if (cache is not null && File.Exists(cache.PathOf(model.Clip, names)))
            return ConceptPool.Create(model.Clip, tokenizer, names, ids, cache);
        return CliProgress.Run($"embedding {names.Count} concept(s) × {PromptTemplates.All.Count} prompts", names.Count,
            progress => ConceptPool.Create(model.Clip, tokenizer, names, ids, cache, progress));
    }
}
