using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Text;
using RegionClip.Torch;

namespace RegionClip.Modeling.Detection;

/// <summary>
/// Regions given instead of an RPN's proposals: boxes [Ki, 4] per image in original pixels and, for
/// precomputed proposals, each box's objectness [Ki] (fused with the class probabilities as in RPN mode).
/// </summary>
public sealed record GivenRegions(IReadOnlyList<Tensor> Boxes, IReadOnlyList<Tensor>? Objectness = null);

/// <summary>
/// Zero-shot detection with a RegionCLIP (or CLIP) model and any vocabulary: regions are
/// classified by their CLIP-space embeddings, then thresholded, per-class NMS-ed and cut to the top k.
/// One call, <see cref="Detect(IReadOnlyList{DetectionImage}, GivenRegions?, ConceptPool?)"/>: regions come from a region
/// proposal network ("RPN mode") or are given (user boxes, ground truth — "GT mode" — or precomputed proposals).
/// </summary>
public sealed class ZeroShotDetector(RegionClipModel model, ConceptPool concepts, DetectionOptions? options = null)
{
    public RegionClipModel Model { get; } = model;
    public ConceptPool Concepts { get; } = concepts;
    public DetectionOptions Options { get; } = options ?? DetectionOptions.CustomImages;

    /// <summary>The offline RPN of RPN mode (e.g. rpn_lvis_866.pth); not owned.</summary>
    public ProposalNetwork? Proposer { get; init; }

    /// <summary>Proposal settings; default: the zero-shot configs' (NMS 0.9, 1000 per image).</summary>
    public ProposalOptions? ProposalOptions { get; init; }

    /// <summary>
    /// A fine-tuned detector's box predictor (<see cref="OpenVocabularyDetector"/>): its class-agnostic box deltas move
    /// each proposal (RPN mode and precomputed proposals; boxes given as objects, e.g. ground truth, stay as they are,
    /// as the official GT mode forces NO_BOX_DELTA). Not owned.
    /// </summary>
    public BoxPredictor? BoxRegressor { get; init; }

    /// <summary>Whether given regions are proposals that <see cref="BoxRegressor"/> refines (false: boxes kept as given).</summary>
    public bool RefineGivenRegions { get; init; }

    /// <summary>Embeds vocabularies given as names (the overloads taking class names); not needed for <see cref="ConceptPool"/>s.</summary>
    public ClipTokenizer? Tokenizer { get; init; }

    /// <summary>Where the embeddings of name vocabularies are kept between calls and runs (e.g. <see cref="ConceptCache.Default"/>); null: embedded on every call.</summary>
    public ConceptCache? ConceptCache { get; init; }

    /// <summary>
    /// Detects in one image: among the RPN's proposals (<see cref="Proposer"/>) when <paramref name="boxes"/> is
    /// null, else among the given boxes ([K, 4], original pixels); with <paramref name="vocabulary"/> or <see cref="Concepts"/>.
    /// </summary>
    public IReadOnlyList<Detection> Detect(DetectionImage image, Tensor? boxes = null, ConceptPool? vocabulary = null) =>
        Detect([image], boxes is null ? null : new GivenRegions([boxes]), vocabulary)[0];

    /// <summary>
    /// <see cref="Detect(DetectionImage, Tensor?, ConceptPool?)"/> for any class names, e.g.
    /// <c>detector.Detect(image, ["kettle", "mug"])</c>: embedded with <see cref="Tokenizer"/>, cached in <see cref="ConceptCache"/>.
    /// </summary>
    public IReadOnlyList<Detection> Detect(DetectionImage image, IReadOnlyList<string> classes, Tensor? boxes = null)
    {
        using var vocabulary = Embed(classes);
        return Detect(image, boxes, vocabulary);
    }

    /// <summary>
    /// Detects in many images at once: among the RPN's proposals (RPN mode; the RPN and the region head each
    /// see the whole batch) when <paramref name="regions"/> is null, else among the given regions (GT mode,
    /// user boxes, or precomputed proposals whose objectness is fused as in RPN mode); with
    /// <paramref name="vocabulary"/> or <see cref="Concepts"/>. Detections are in original pixels, best first.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Detection>> Detect(IReadOnlyList<DetectionImage> images, GivenRegions? regions = null, ConceptPool? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        var concepts = vocabulary ?? Concepts;
        if (concepts.Dim != Model.EmbedDim)
            throw new ArgumentException($"the vocabulary's embeddings have {concepts.Dim} dimensions but the model's regions have {Model.EmbedDim}: embed the concepts with the same model size");
        return regions is null ? InProposals(images, concepts) : InGivenRegions(images, regions, concepts);
    }

    private ConceptPool Embed(IReadOnlyList<string> classes) => ConceptPool.Create(Model.Clip,
        Tokenizer ?? throw new InvalidOperationException("class names need a tokenizer: set Tokenizer (ClipTokenizer.Load) or pass a ConceptPool"),
        classes, cache: ConceptCache);

    private IReadOnlyList<IReadOnlyList<Detection>> InProposals(IReadOnlyList<DetectionImage> images, ConceptPool concepts)
    {
        var rpn = Proposer ?? throw new InvalidOperationException("no region proposal network: set Proposer (ProposalNetwork.Load) or give the regions (boxes, GivenRegions)");
        foreach (var image in images) RegionClipModel.EnsureFits(image);
        using var scope = torch.NewDisposeScope();
        var proposals = rpn.Propose(images.Select(i => i.Resized).ToList(), ProposalOptions ?? Proposals.ProposalOptions.ZeroShot(rpn.Kind));
        try
        {
            var features = Model.EncodeRegions(images, proposals.Select(p => p.Boxes).ToList());
            var result = new IReadOnlyList<Detection>[images.Count];
            long offset = 0;
            for (int i = 0; i < images.Count; i++)
            {
                var p = proposals[i];
                var regions = features.narrow(0, offset, p.Count);
                var probs = RegionClassifier.Probabilities(regions, concepts.Embeddings);
                offset += p.Count;
                var boxes = BoxRegressor is null ? p.Boxes : BoxRegressor.RegressBoxes(regions, p.Boxes);
                using var kept = Postprocess.Run(boxes, probs, p.Objectness, images[i].Height, images[i].Width, Options);
                result[i] = ToDetections(images[i], kept, concepts);
            }
            return result;
        }
        finally
        {
            foreach (var p in proposals) p.Dispose();
        }
    }

    private IReadOnlyList<IReadOnlyList<Detection>> InGivenRegions(IReadOnlyList<DetectionImage> images, GivenRegions regions, ConceptPool concepts)
    {
        var (boxes, objectness) = (regions.Boxes, regions.Objectness);
        if (images.Count != boxes.Count)
            throw new ArgumentException($"{images.Count} image(s) but {boxes.Count} box list(s)");
        if (objectness is not null)
        {
            if (objectness.Count != boxes.Count)
                throw new ArgumentException($"{boxes.Count} box list(s) but {objectness.Count} objectness list(s)");
            for (int i = 0; i < boxes.Count; i++)
                if (objectness[i].ndim != 1 || objectness[i].size(0) != boxes[i].size(0))
                    throw new ArgumentException($"{images[i].Source ?? $"image #{i}"}: objectness must be one score per box ([{boxes[i].size(0)}]), got [{string.Join(", ", objectness[i].shape)}]");
        }
        using var scope = torch.NewDisposeScope();
        var features = Model.ExtractRegionFeatures(images, boxes);
        var result = new IReadOnlyList<Detection>[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i];
            var input = img.ToInput(RegionBoxes.ValidateAndClip(boxes[i], img.OriginalHeight, img.OriginalWidth, img.Source ?? $"image #{i}"));
            var probs = RegionClassifier.Probabilities(features[i], concepts.Embeddings);
            if (BoxRegressor is not null && RefineGivenRegions) input = BoxRegressor.RegressBoxes(features[i], input);
            using var kept = Postprocess.Run(input, probs, objectness?[i], img.Height, img.Width, Options);
            result[i] = ToDetections(img, kept, concepts);
        }
        return result;
    }

    /// <summary>Back to original pixels: scale, clip, drop empty boxes.</summary>
    internal static IReadOnlyList<Detection> ToDetections(DetectionImage image, KeptPairs kept, ConceptPool concepts)
    {
        using var original = image.ToOriginal(kept.Boxes);
        var boxes = Box.FromTensor(original);
        var scores = kept.Scores.data<float>();
        var classes = kept.Classes.data<long>();
        var regions = kept.Regions.data<long>();
        var list = new List<Detection>(boxes.Length);
        for (int j = 0; j < boxes.Length; j++)
        {
            if (!(boxes[j].Width > 0 && boxes[j].Height > 0)) continue;
            var c = (int)classes[j];
            list.Add(new Detection(boxes[j], c, concepts.Names[c], scores[j], concepts.CategoryIds?[c], (int)regions[j]));
        }
        return list;
    }
}
