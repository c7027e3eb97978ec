using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Text;
using RegionClip.Torch;

namespace RegionClip.Modeling.Detection;

/// <summary>
/// Zero-shot detection with a RegionCLIP (or CLIP) model and any vocabulary: regions are
/// classified by their CLIP-space embeddings, then thresholded, per-class NMS-ed and cut to the top k.
/// Regions come from a region proposal network (<see cref="Detect(DetectionImage)"/>, "RPN mode") or
/// are given (<see cref="DetectInBoxes(DetectionImage, Tensor)"/>: user boxes or ground truth, "GT mode").
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

    /// <summary>Embeds vocabularies given as names (the overloads taking class names); not needed for <see cref="ConceptPool"/>s.</summary>
    public ClipTokenizer? Tokenizer { get; init; }

    /// <summary>Where the embeddings of name vocabularies are kept between calls and runs (e.g. <see cref="ConceptCache.Default"/>); null: embedded on every call.</summary>
    public ConceptCache? ConceptCache { get; init; }

    /// <summary>The same model, options and RPN with another vocabulary; nothing is copied, the vocabulary is not owned.</summary>
    public ZeroShotDetector WithVocabulary(ConceptPool vocabulary) =>
        new(Model, vocabulary, Options) { Proposer = Proposer, ProposalOptions = ProposalOptions, Tokenizer = Tokenizer, ConceptCache = ConceptCache };

    /// <summary>RPN mode with another vocabulary than <see cref="Concepts"/>.</summary>
    public IReadOnlyList<Detection> Detect(DetectionImage image, ConceptPool vocabulary) => WithVocabulary(vocabulary).Detect(image);

    /// <summary>RPN mode for any class names, e.g. <c>detector.Detect(image, ["kettle", "mug"])</c> (needs <see cref="Tokenizer"/>).</summary>
    public IReadOnlyList<Detection> Detect(DetectionImage image, IReadOnlyList<string> classes)
    {
        using var vocabulary = Embed(classes);
        return Detect(image, vocabulary);
    }

    /// <summary>Detections among given boxes with another vocabulary than <see cref="Concepts"/>.</summary>
    public IReadOnlyList<Detection> DetectInBoxes(DetectionImage image, Tensor boxes, ConceptPool vocabulary) => WithVocabulary(vocabulary).DetectInBoxes(image, boxes);

    /// <summary>Detections among given boxes for any class names (needs <see cref="Tokenizer"/>).</summary>
    public IReadOnlyList<Detection> DetectInBoxes(DetectionImage image, Tensor boxes, IReadOnlyList<string> classes)
    {
        using var vocabulary = Embed(classes);
        return DetectInBoxes(image, boxes, vocabulary);
    }

    private ConceptPool Embed(IReadOnlyList<string> classes) => ConceptPool.Create(Model.Clip,
        Tokenizer ?? throw new InvalidOperationException("class names need a tokenizer: set Tokenizer (ClipTokenizer.Load) or pass a ConceptPool"),
        classes, cache: ConceptCache);

    /// <summary>RPN mode: proposals, region scores fused with objectness as <see cref="Options"/> says.</summary>
    public IReadOnlyList<Detection> Detect(DetectionImage image) => Detect([image])[0];

    /// <summary>RPN mode for many images (the RPN and the region head each see the whole batch).</summary>
    public IReadOnlyList<IReadOnlyList<Detection>> Detect(IReadOnlyList<DetectionImage> images)
    {
        var rpn = Proposer ?? throw new InvalidOperationException("no region proposal network: set Proposer (ProposalNetwork.Load) or give the regions (DetectInBoxes)");
        CheckDims();
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
                var probs = RegionClassifier.Probabilities(features.narrow(0, offset, p.Count), Concepts.Embeddings);
                offset += p.Count;
                using var kept = Postprocess.Run(p.Boxes, probs, p.Objectness, images[i].Height, images[i].Width, Options);
                result[i] = ToDetections(images[i], kept);
            }
            return result;
        }
        finally
        {
            foreach (var p in proposals) p.Dispose();
        }
    }

    private void CheckDims()
    {
        if (Concepts.Dim != Model.EmbedDim)
            throw new ArgumentException($"the vocabulary's embeddings have {Concepts.Dim} dimensions but the model's regions have {Model.EmbedDim}: embed the concepts with the same model size");
    }

    /// <summary>Detections among given boxes (original pixels, validated and clipped), best first.</summary>
    public IReadOnlyList<Detection> DetectInBoxes(DetectionImage image, Tensor boxes) => DetectInBoxes([image], [boxes])[0];

    /// <summary>Many images at once (see <see cref="RegionClipModel.EncodeRegions(IReadOnlyList{DetectionImage}, IReadOnlyList{Tensor})"/>).</summary>
    public IReadOnlyList<IReadOnlyList<Detection>> DetectInBoxes(IReadOnlyList<DetectionImage> images, IReadOnlyList<Tensor> boxes) =>
        DetectInBoxes(images, boxes, null);

    /// <summary>
    /// Precomputed proposals: boxes [Ki, 4] in original pixels with their objectness [Ki] (e.g. an RPN's
    /// raw logits exported from detectron2), fused with the class probabilities as <see cref="Options"/>
    /// says, as in RPN mode. Without objectness (null) this is <see cref="DetectInBoxes(IReadOnlyList{DetectionImage}, IReadOnlyList{Tensor})"/>.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Detection>> DetectInBoxes(IReadOnlyList<DetectionImage> images, IReadOnlyList<Tensor> boxes, IReadOnlyList<Tensor>? objectness)
    {
        if (objectness is not null)
        {
            if (objectness.Count != boxes.Count || images.Count != boxes.Count)
                throw new ArgumentException($"{images.Count} image(s), {boxes.Count} box list(s) and {objectness.Count} objectness list(s)");
            for (int i = 0; i < boxes.Count; i++)
                if (objectness[i].ndim != 1 || objectness[i].size(0) != boxes[i].size(0))
                    throw new ArgumentException($"{images[i].Source ?? $"image #{i}"}: objectness must be one score per box ([{boxes[i].size(0)}]), got [{string.Join(", ", objectness[i].shape)}]");
        }
        CheckDims();
        using var scope = torch.NewDisposeScope();
        var features = Model.ExtractRegionFeatures(images, boxes);
        var result = new IReadOnlyList<Detection>[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i];
            var input = img.ToInput(RegionBoxes.ValidateAndClip(boxes[i], img.OriginalHeight, img.OriginalWidth, img.Source ?? $"image #{i}"));
            var probs = RegionClassifier.Probabilities(features[i], Concepts.Embeddings);
            using var kept = Postprocess.Run(input, probs, objectness?[i], img.Height, img.Width, Options);
            result[i] = ToDetections(img, kept);
        }
        return result;
    }

    /// <summary>Back to original pixels: scale, clip, drop empty boxes.</summary>
    internal IReadOnlyList<Detection> ToDetections(DetectionImage image, KeptPairs kept)
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
            list.Add(new Detection(boxes[j], c, Concepts.Names[c], scores[j], Concepts.CategoryIds?[c], (int)regions[j]));
        }
        return list;
    }
}
