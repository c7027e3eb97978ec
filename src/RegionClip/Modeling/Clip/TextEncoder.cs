using RegionClip.Text;
using RegionClip.Torch;

namespace RegionClip.Modeling.Clip;

/// <summary>Texts → CLIP text embeddings, in batches, under inference mode.</summary>
public sealed class TextEncoder(ClipModel model, ClipTokenizer tokenizer, int batchSize = 256)
{
    public ClipModel Model { get; } = model;
    public ClipTokenizer Tokenizer { get; } = tokenizer;

    /// <summary>[texts.Count, EmbedDim], not normalised (CLIP's encode_text).</summary>
    public Tensor Encode(IReadOnlyList<string> texts, Truncation truncation = Truncation.KeepEnd, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        if (texts.Count == 0) throw new ArgumentException("no texts to encode");
        // Every sequence holds the start token, one of the highest ids, so a smaller vocabulary can never fit.
        if (Model.Config.VocabSize < Tokenizer.VocabularyCount)
            throw new ArgumentException($"the model's vocabulary has {Model.Config.VocabSize} entries but the tokenizer ({Tokenizer.Source}) produces ids up to {Tokenizer.VocabularyCount - 1}: vocabulary file and model do not match");
        return Batching.Encode(texts.Count, batchSize, (start, count) =>
            Model.encode_text(torch.tensor(Tokenizer.Tokenize(texts.Skip(start).Take(count).ToList(), Model.Config.ContextLength, truncation))),
            progress, cancel);
    }

    /// <summary>
    /// RegionCLIP's concept embedding: for each name, the mean of the unnormalised embeddings of
    /// its 81 filled prompts (tokens cut to the context as RegionCLIP does). [names.Count, EmbedDim].
    /// </summary>
    public Tensor EncodeConcepts(IReadOnlyList<string> names, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var k = PromptTemplates.All.Count;
        var prompts = names.SelectMany(PromptTemplates.Fill).ToList();
        using var scope = torch.NewDisposeScope();
        var all = Encode(prompts, Truncation.Cut, progress is null ? null : new Progress<int>(n => progress.Report(n / k)), cancel);
        return all.view(names.Count, k, -1).mean(1).MoveToOuterScope();
    }
}
