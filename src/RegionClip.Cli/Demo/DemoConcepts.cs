using RegionClip.Common;
using RegionClip.Data;
using RegionClip.Text;
using RegionClip.Text.Concepts;

namespace RegionClip.Cli.Demo;

/// <summary>The concept pool the demo parsed from its train captions (as `regionclip concepts` does).</summary>
public sealed record DemoConceptsResult(string PoolPath, int Captions, int DistinctNouns, IReadOnlyList<string> Concepts);

/// <summary>
/// The demo's concept stage: the nouns of the train world's captions (Penn-Treebank tagging and WordNet lemmas from
/// Debian's data packages), those seen at least <see cref="DemoOptions.ConceptMinCount"/> times, written as a pool
/// file. The category names are never given: the pool holds what captions say, synonyms and non-objects included.
/// </summary>
internal static class DemoConcepts
{
    public const string FileName = "concepts.txt";

    public static DemoConceptsResult Parse(string worldDir, string outDir, DemoOptions options, IProgress<DemoProgress>? progress, CancellationToken cancel)
    {
        var path = Path.Combine(outDir, FileName);
        var parser = CaptionParser.Load();
        var corpus = CaptionCorpus.Load(Path.Combine(worldDir, "captions_train.json"));
        var relay = progress is null ? null
            : new SyncProgress<int>(n => progress.Report(new DemoProgress(DemoStage.Concepts, "concepts: parsing train captions", n, corpus.Captions.Count)));
        cancel.ThrowIfCancellationRequested();
        var counts = NounPoolBuilder.Count(parser, corpus.Captions, relay, cancellation: cancel);
        var pool = NounPool.Select(counts.Counts, options.ConceptMinCount);
        pool.Write(path);
        return new DemoConceptsResult(path, counts.Captions, counts.DistinctConcepts, [.. ConceptNames.ReadFile(path)]);
    }

    /// <summary>A pool parsed before (another process of the job wrote it).</summary>
    public static DemoConceptsResult Read(string outDir)
    {
        var path = Path.Combine(outDir, FileName);
        return new DemoConceptsResult(path, 0, 0, [.. ConceptNames.ReadFile(path)]);
    }
}
