namespace RegionClip.Text.Concepts;

/// <summary>What counting a corpus found: every concept's count and how many captions were read.</summary>
public sealed record ConceptCounts(int Captions, IReadOnlyDictionary<string, long> Counts)
{
    public int DistinctConcepts => Counts.Count;
}

/// <summary>Counts the concepts of a caption corpus, in parallel over chunks of captions (the parser is thread-safe).</summary>
public static class NounPoolBuilder
{
    private const int Chunk = 512;

    /// <summary>Counts every concept occurrence; <paramref name="progress"/> hears how many captions are done.</summary>
    public static ConceptCounts Count(CaptionParser parser, IReadOnlyList<string> captions, IProgress<int>? progress = null,
                                      int parallelism = 0, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(captions);
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        var gate = new object();
        int done = 0, chunks = (captions.Count + Chunk - 1) / Chunk;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount,
            CancellationToken = cancellation,
        };
        Parallel.For(0, chunks, options, () => new Dictionary<string, long>(StringComparer.Ordinal), (c, _, local) =>
        {
            int end = Math.Min(captions.Count, (c + 1) * Chunk);
            for (int i = c * Chunk; i < end; i++)
                foreach (var concept in parser.Parse(captions[i]))
                    local[concept] = local.GetValueOrDefault(concept) + 1;
            lock (gate) progress?.Report(done += end - c * Chunk);   // under the lock: reports only grow
            return local;
        }, local =>
        {
            lock (gate)
                foreach (var (k, v) in local) total[k] = total.GetValueOrDefault(k) + v;
        });
        return new ConceptCounts(captions.Count, total);
    }
}
