using RegionClip.Modeling.Clip;
using RegionClip.Torch;

namespace RegionClip.Text;

/// <summary>Texts → CLIP text embeddings, in batches, under inference mode.</summary>
public sealed class TextEncoder(ClipModel model, ClipTokenizer tokenizer, int batchSize = 256)
{
    public ClipModel Model { get; } = model;
    public ClipTokenizer Tokenizer { get; } = tokenizer;

    /// <summary>[texts.Count, EmbedDim], not normalised (CLIP's encode_text).</summary>
    public Tensor Encode(IReadOnlyList<string> texts, Truncation truncation = Truncation.KeepEnd, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        if (texts.Count == 0) throw new ArgumentException("no texts to encode");
        var ctx = Model.Config.ContextLength;
        var parts = new List<Tensor>();
        try
        {
            using var _ = torch.inference_mode();
            for (int start = 0; start < texts.Count; start += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                var batch = texts.Skip(start).Take(batchSize).ToList();
                var ids = Tokenizer.Tokenize(batch, ctx, truncation);
                using var scope = torch.NewDisposeScope();
                var tokens = torch.tensor(ids);
                CheckVocabulary(tokens);
                parts.Add(Model.encode_text(tokens).MoveToOuterScope());
                progress?.Report(Math.Min(start + batchSize, texts.Count));
            }
            return parts.Count == 1 ? parts[0].alias() : torch.cat(parts);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
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

    private void CheckVocabulary(Tensor tokens)
    {
        using var max = tokens.max();
        if (max.item<long>() >= Model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer produced id {max.item<long>()} but the model's vocabulary has {Model.Config.VocabSize} entries: vocabulary file and model do not match");
    }
}
