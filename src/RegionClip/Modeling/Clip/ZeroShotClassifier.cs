using RegionClip.Text;
using RegionClip.Torch;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Clip;

/// <summary>One image's class probabilities, in the order of <see cref="ZeroShotClassifier.Classes"/>.</summary>
public sealed record Classification(string Image, IReadOnlyList<float> Probabilities, string Top, float TopProbability);

/// <summary>
/// Zero-shot image classification: prompt-ensembled class embeddings (81 templates, computed
/// once per vocabulary) against CLIP image embeddings, softmax of cosine similarity × 100.
/// </summary>
public sealed class ZeroShotClassifier : IDisposable
{
    /// <summary>CLIP's learned logit scale is ≈100; RegionCLIP fixes it to 1/0.01.</summary>
    public const double LogitScale = 100.0;

    private readonly Tensor _classEmbeddings;

    public ZeroShotClassifier(ClipModel model, ClipTokenizer tokenizer, IReadOnlyList<string> classes)
    {
        if (classes.Count == 0) throw new ArgumentException("no classes given");
        var dup = classes.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"class '{dup.Key}' is listed twice");
        Model = model;
        Classes = classes;
        using var scope = torch.NewDisposeScope();
        var concepts = new TextEncoder(model, tokenizer).EncodeConcepts(classes);
        _classEmbeddings = F.normalize(concepts, dim: 1).DetachFromDisposeScope();
    }

    public ClipModel Model { get; }
    public IReadOnlyList<string> Classes { get; }

    public IReadOnlyList<Classification> ClassifyFiles(IReadOnlyList<string> paths)
    {
        using var images = new ImageEncoder(Model).EncodeFiles(paths);
        return Classify(images, paths);
    }

    /// <summary>Class probabilities of image embeddings [N, EmbedDim] (not normalised), labelled with <paramref name="labels"/>.</summary>
    public IReadOnlyList<Classification> Classify(Tensor imageEmbeddings, IReadOnlyList<string> labels)
    {
        if (imageEmbeddings.ndim != 2 || imageEmbeddings.size(0) != labels.Count)
            throw new ArgumentException($"image embeddings must be [{labels.Count}, D] for {labels.Count} label(s), got [{string.Join(", ", imageEmbeddings.shape)}]");
        using var scope = torch.NewDisposeScope();
        var images = F.normalize(imageEmbeddings, dim: 1);
        var probs = F.softmax(images.matmul(_classEmbeddings.t()) * LogitScale, 1);
        var values = probs.data<float>();
        var k = Classes.Count;
        var result = new List<Classification>(labels.Count);
        for (int i = 0; i < labels.Count; i++)
        {
            var row = values.AsSpan(i * k, k).ToArray();
            var best = Array.IndexOf(row, row.Max());
            result.Add(new Classification(labels[i], row, Classes[best], row[best]));
        }
        return result;
    }

    public void Dispose() => _classEmbeddings.Dispose();
}
