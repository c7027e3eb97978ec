using RegionClip.Common;
using RegionClip.Text;

namespace RegionClip.Synthetic;

/// <summary>
/// The world's BPE vocabulary, learned from a fixed corpus of the world's captions (captions of
/// randomly laid-out scenes from a constant seed, plus every category name form). It does not
/// depend on a world's seed or split, so train and val worlds share one tokenizer.
/// </summary>
public static class WorldVocabulary
{
    public const string FileName = "bpe_world.txt";
    public const int MaxMerges = 6000;
    private const int CorpusScenes = 4000;
    private const ulong CorpusSeed = 0x0B9E_C0DE;

    private static readonly Lazy<BpeMerges> Learned = new(() => BpeTrainer.Learn(Corpus(), MaxMerges));

    public static BpeMerges Merges => Learned.Value;

    /// <summary>The training texts (deterministic).</summary>
    public static IEnumerable<string> Corpus()
    {
        foreach (var c in WorldCategories.All)
            foreach (var form in c.Names)
                for (int i = 0; i < 4; i++)
                {
                    yield return form.Singular;
                    yield return form.Plural;
                }
        var rng = new Prng(CorpusSeed);
        for (int s = 0; s < CorpusScenes; s++)
        {
            // Layouts only (no drawing): categories, areas and positions are all a caption uses.
            var visible = new List<ObjectAnnotation>();
            for (int n = rng.Between(1, 7), i = 0; i < n; i++)
            {
                var size = (int)rng.LogUniform(6, 300);
                visible.Add(new ObjectAnnotation(i, rng.NextInt(WorldCategories.All.Count), rng.NextInt(640 - size), 0, size, size, size * size, 1));
            }
            yield return CaptionWriter.Write(visible, 640, rng);
        }
    }
}
