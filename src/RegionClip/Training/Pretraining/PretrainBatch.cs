using RegionClip.Common;
using RegionClip.Data;
using RegionClip.Data.Datasets;
using RegionClip.Text;
using RegionClip.Torch;

namespace RegionClip.Training.Pretraining;

/// <summary>
/// One step's input: the normalised images zero-padded bottom/right to the batch's largest height and
/// width (detectron2's ImageList), the sampled regions and the one global box per image as RoIAlign rows
/// (batch index, x1, y1, x2, y2 in resized pixels), and one tokenised caption per image.
/// </summary>
public sealed record PretrainBatch(Tensor Images, Tensor Regions, Tensor GlobalBoxes, Tensor Tokens, int[] Items, int[] RegionCounts) : IDisposable
{
    public int Count => Items.Length;

    public void Dispose()
    {
        Images.Dispose();
        Regions.Dispose();
        GlobalBoxes.Dispose();
        Tokens.Dispose();
    }
}

/// <summary>An epoch's choice for one image: which caption (or tag order), and whether it is mirrored.</summary>
public readonly record struct PairChoice(int Item, int Text, bool Flip, ulong TagSeed);

/// <summary>
/// Builds <see cref="PretrainBatch"/>es: decodes, resizes (torchvision's Resize with max_size, PIL bicubic,
/// as the official pretraining loader), mirrors, normalises with CLIP's statistics and pads; picks each
/// image's caption; draws its regions. An image that fails to decode is reported once, skipped from then on,
/// and replaced by the next image of the epoch, so a bad file never ends a long run.
/// </summary>
public sealed class PretrainBatchBuilder(ImageTextPairs pairs, ClipTokenizer tokenizer, int contextLength, PretrainOptions options,
    PretrainRegions regions, Action<string>? warn = null)
{
    private readonly Dictionary<int, string> _bad = [];

    /// <summary>Images skipped because they could not be read, with the reason.</summary>
    public IReadOnlyDictionary<int, string> Skipped => _bad;

    /// <summary>
    /// The choices of one epoch, a pure function of (seed, epoch): the image order (file order without
    /// shuffling), a caption per image, a coin flip for mirroring.
    /// </summary>
    public static PairChoice[] EpochPlan(ImageTextPairs pairs, PretrainOptions options, int epoch)
    {
        var rng = Prng.ForStream(options.Seed, "pretrain/epoch", epoch);
        var order = options.Data.Shuffle ? rng.Permutation(pairs.Count) : Enumerable.Range(0, pairs.Count).ToArray();
        return Array.ConvertAll(order, i =>
        {
            var texts = pairs.Texts(i);
            // The official TSV loader picks "captions" or "tags" at random when a row has both, and one of the first five captions.
            bool useTags = texts.Captions.Count == 0 || (texts.Tags.Count > 0 && rng.Chance(0.5));
            int text = useTags ? -1 : rng.NextInt(Math.Min(5, texts.Captions.Count));
            bool flip = options.Input.HorizontalFlip && rng.Chance(0.5);
            return new PairChoice(i, text, flip, rng.NextULong());
        });
    }

    /// <summary>
    /// The batch at <paramref name="cursor"/> of <paramref name="plan"/>: its slice of images, each bad one
    /// replaced by the next readable image of the plan (wrapping). <paramref name="step"/> and each image's place in
    /// the global batch seed its region draw, so a process of a data-parallel job (<paramref name="shard"/>: its
    /// part of the global batch) draws the same regions as one process with the whole batch.
    /// </summary>
    public PretrainBatch Build(PairChoice[] plan, int cursor, long step, (int Offset, int Count)? shard = null)
    {
        int size = options.Solver.BatchSize;
        var (offset, count) = shard ?? (0, size);
        using var scope = torch.NewDisposeScope();
        var images = new List<Tensor>();
        var boxes = new List<Tensor>();
        var texts = new List<string>();
        var items = new List<int>();
        for (int k = 0; k < plan.Length && images.Count < count; k++)
        {
            var choice = plan[(cursor * size + offset + k) % plan.Length];
            if (k >= count && items.Contains(choice.Item)) continue;   // a replacement, not a repeat
            var image = TryLoad(choice);
            if (image is null) continue;
            var regionRng = Prng.ForStream(options.Seed, "pretrain/regions", step * size + offset + images.Count);
            var original = ((int)image.Value.Original.Height, (int)image.Value.Original.Width);
            var candidates = regions.Candidates(choice.Item, image.Value.Resized, original, choice.Flip, regionRng);
            boxes.Add(Sample(candidates, options.Regions.PerImage, regionRng));
            images.Add(ClipPreprocess.Normalize(image.Value.Resized));
            texts.Add(Text(choice));
            items.Add(choice.Item);
        }
        if (images.Count == 0)
            throw new InvalidDataException($"'{pairs.Source}': none of its {pairs.Count} images can be read (first: {_bad.Values.FirstOrDefault()})");
        int height = images.Max(i => (int)i.size(1)), width = images.Max(i => (int)i.size(2));
        var batch = torch.zeros([images.Count, 3, height, width]);
        for (int i = 0; i < images.Count; i++)
            batch.select(0, i).narrow(1, 0, images[i].size(1)).narrow(2, 0, images[i].size(2)).copy_(images[i]);
        var rois = torch.cat(boxes.Select((b, i) => torch.cat([torch.full([b.size(0), 1], i), b], 1)).ToArray());
        var global = torch.tensor(Enumerable.Range(0, images.Count).SelectMany(i => new float[] { i, 0, 0, width, height }).ToArray(), images.Count, 5);
        var tokens = torch.tensor(tokenizer.Tokenize(texts, contextLength, Truncation.KeepEnd));
        return new PretrainBatch(batch.MoveToOuterScope(), rois.MoveToOuterScope(), global.MoveToOuterScope(), tokens.MoveToOuterScope(),
            [.. items], boxes.Select(b => (int)b.size(0)).ToArray());
    }

    private (Tensor Resized, (long Height, long Width) Original)? TryLoad(PairChoice choice)
    {
        if (_bad.ContainsKey(choice.Item)) return null;
        try
        {
            using var rgb = pairs.ReadImage(choice.Item);
            var (h, w) = ((int)rgb.size(0), (int)rgb.size(1));
            var (nh, nw) = ClipPreprocess.ShorterSideSize(h, w, options.Input.MinSize, options.Input.MaxSize);
            var resized = nh == h && nw == w ? rgb.clone() : PilResize.Resize(rgb, nh, nw, ResampleFilter.Bicubic);
            if (!choice.Flip) return (resized, (h, w));
            using (resized) return (resized.flip(1).contiguous(), (h, w));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or TorchException or ArgumentException)
        {
            var reason = $"'{pairs.Name(choice.Item)}': {e.Message}";
            _bad[choice.Item] = reason;
            warn?.Invoke($"skipping image {reason}");
            return null;
        }
    }

    /// <summary>A random subset of at most <paramref name="count"/> boxes (a random permutation's first ones, as the official).</summary>
    private static Tensor Sample(Tensor candidates, int count, Prng rng)
    {
        int k = (int)candidates.size(0);
        var order = rng.Permutation(k);
        if (k <= count && order.SequenceEqual(Enumerable.Range(0, k))) return candidates;
        using var index = torch.tensor(order.Take(count).Select(i => (long)i).ToArray());
        return candidates.index_select(0, index);
    }

    private string Text(PairChoice choice)
    {
        var texts = pairs.Texts(choice.Item);
        if (choice.Text >= 0) return texts.Captions[choice.Text];
        // Tags: shuffled, joined, in one prompt template (the official "tags" branch).
        var rng = new Prng(choice.TagSeed);
        var order = rng.Permutation(texts.Tags.Count).Select(i => texts.Tags[i]);
        return PromptTemplates.All[rng.NextInt(PromptTemplates.All.Count)].Replace("{}", string.Join(" ", order), StringComparison.Ordinal);
    }
}
