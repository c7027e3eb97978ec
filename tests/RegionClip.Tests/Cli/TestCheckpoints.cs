using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Cli;

/// <summary>Checkpoints made at test time from the committed tiny fixture.</summary>
internal static class TestCheckpoints
{
    /// <summary>
    /// The tiny CLIP fixture with its token embedding grown to CLIP's 49,408-entry vocabulary
    /// (extra rows seeded random), so the real tokenizer's ids fit. Too large to commit.
    /// </summary>
    internal static string FullVocabularyTinyClip(string dir)
    {
        using var scope = torch.NewDisposeScope();
        var state = Checkpoint.LoadStateDict(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        foreach (var t in state.Values) scope.Include(t);
        var small = state["token_embedding.weight"];
        using var gen = new Generator(11);
        var extra = torch.randn([49408 - small.size(0), small.size(1)], gen) * 0.02;
        state["token_embedding.weight"] = torch.cat([small, extra]);
        var path = Path.Combine(dir, "tiny_clip_full_vocab.pth");
        Checkpoint.SaveStateDict(state, path);
        return path;
    }
}
