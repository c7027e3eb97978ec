using RegionClip.Common;
using RegionClip.Data;
using RegionClip.Data.Datasets;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Torch;
using RegionClip.Torch.Vision;

namespace RegionClip.Training.Transfer;

/// <summary>
/// One step's input: the normalised images zero-padded bottom/right to the batch's largest height and width
/// (detectron2's ImageList), and the sampled RoIs of every image with their targets: RoIAlign rows (batch index,
/// x1, y1, x2, y2 in resized pixels), classes (K = background) and matched ground-truth boxes.
/// </summary>
public sealed record DetectorBatch(Tensor Images, Tensor Rois, Tensor Classes, Tensor MatchedBoxes, int[] Items, int Foreground) : IDisposable
{
    public int Count => Items.Length;

    /// <summary>The sampled boxes without the batch column, [R, 4].</summary>
    public Tensor Boxes => Rois.narrow(1, 1, 4);

    public void Dispose()
    {
        Images.Dispose();
        Rois.Dispose();
        Classes.Dispose();
        MatchedBoxes.Dispose();
    }
}

/// <summary>
/// Builds <see cref="DetectorBatch"/>es: each image decoded, resized to a short side drawn from the training
/// scales (ResizeShortestEdge, "choice"), maybe mirrored, its proposals from the offline RPN (run on that view)
/// or a proposals file, its RoIs labelled and sampled (<see cref="RoiSampler"/>). Every draw is a pure function of
/// (seed, position in the stream), so a resumed run builds the same batches. An image that fails to decode is reported once,
/// skipped from then on and replaced by the next image of the epoch.
/// </summary>
public sealed class DetectorBatchBuilder(DetectionTrainingSet data, DetectorTrainOptions options, ProposalNetwork? rpn,
    IReadOnlyList<ImageProposals>? fileProposals, Action<string>? warn = null)
{
    private readonly Dictionary<int, string> _bad = [];
    private readonly RoiSampler _sampler = new(options.Regions.PerImage, options.Regions.PositiveFraction, options.Regions.IouThreshold, options.Regions.AppendGroundTruth);
    private readonly double[] _repeat = data.RepeatFactors(options.Data.RepeatThreshold);

    /// <summary>Images skipped because they could not be read, with the reason.</summary>
    public IReadOnlyDictionary<int, string> Skipped => _bad;

    /// <summary>
    /// The image order of one epoch: each image repeated by its repeat factor (stochastic rounding, detectron2's
    /// RepeatFactorTrainingSampler; all 1 without LVIS sampling), then shuffled (or file order without shuffling).
    /// </summary>
    public int[] EpochPlan(int epoch)
    {
        var rng = Prng.ForStream(options.Seed, "train/epoch", epoch);
        var items = new List<int>();
        for (int i = 0; i < _repeat.Length; i++)
        {
            double r = _repeat[i];
            int times = (int)Math.Floor(r) + (rng.NextDouble() < r - Math.Floor(r) ? 1 : 0);
            for (int k = 0; k < times; k++) items.Add(i);
        }
        if (!options.Data.Shuffle) return [.. items];
        var order = rng.Permutation(items.Count);
        return Array.ConvertAll(order, k => items[k]);
    }

    // detectron2's samplers are one endless stream of epochs that batches cut across: position p of the stream is
    // image plan_e[p − start_e]. Epoch lengths vary with repeat factors, so their starts are found once, in order.
    private readonly List<long> _epochStarts = [0];
    private (int Epoch, int[] Plan)? _current;

    /// <summary>The image at position <paramref name="position"/> of the training stream (step · batch + slot).</summary>
    public int ItemAt(long position)
    {
        while (_epochStarts[^1] <= position) _epochStarts.Add(_epochStarts[^1] + PlanOf(_epochStarts.Count - 1).Length);
        int epoch = _epochStarts.FindLastIndex(s => s <= position);
        return PlanOf(epoch)[position - _epochStarts[epoch]];
    }

    private int[] PlanOf(int epoch)
    {
        if (_current is not { } c || c.Epoch != epoch) _current = (epoch, EpochPlan(epoch));
        return _current.Value.Plan;
    }

    /// <summary>
    /// The batch of step <paramref name="step"/> (0-based): stream positions step · B … step · B + B − 1, each bad image
    /// replaced by the next readable one of the stream. A position seeds its image's scale, flip and RoI draws, so a
    /// process of a data-parallel job (<paramref name="shard"/>: its part of the global batch) sees what one process
    /// with the whole batch sees at those positions.
    /// </summary>
    public DetectorBatch Build(long step, (int Offset, int Count)? shard = null)
    {
        var (offset, size) = shard ?? (0, options.Solver.BatchSize);
        long start = step * options.Solver.BatchSize + offset;
        int numClasses = data.TrainCategories.Count;
        using var scope = torch.NewDisposeScope();
        var images = new List<Tensor>();
        var sampled = new List<SampledRois>();
        var items = new List<int>();
        try
        {
            for (long position = start; images.Count < size && position < start + size + data.Count; position++)
            {
                int item = ItemAt(position);
                if (position >= start + size && items.Contains(item)) continue;   // a replacement, not a repeat
                var rng = Prng.ForStream(options.Seed, "train/view", position);
                int minSize = options.Input.MinSizes[rng.NextInt(options.Input.MinSizes.Length)];
                bool flip = options.Input.HorizontalFlip && rng.Chance(0.5);
                using var sample = TryLoad(item, minSize, flip);
                if (sample is null) continue;
                var proposals = Proposals(item, sample, flip);
                sampled.Add(_sampler.Sample(proposals, sample.Boxes, sample.Classes, numClasses, rng));
                images.Add(ClipPreprocess.Normalize(sample.Image));
                items.Add(item);
            }
            if (images.Count == 0)
                throw new InvalidDataException($"'{data.Source}': none of its {data.Count} training images can be read (first: {_bad.Values.FirstOrDefault()})");
            int height = images.Max(i => (int)i.size(1)), width = images.Max(i => (int)i.size(2));
            var batch = torch.zeros([images.Count, 3, height, width]);
            for (int i = 0; i < images.Count; i++)
                batch.select(0, i).narrow(1, 0, images[i].size(1)).narrow(2, 0, images[i].size(2)).copy_(images[i]);
            var rois = torch.cat(sampled.Select((s, i) => torch.cat([torch.full([s.Count, 1], i), s.Boxes], 1)).ToArray());
            var classes = torch.cat(sampled.Select(s => s.Classes).ToArray());
            var matched = torch.cat(sampled.Select(s => s.MatchedBoxes).ToArray());
            return new DetectorBatch(batch.MoveToOuterScope(), rois.MoveToOuterScope(), classes.MoveToOuterScope(), matched.MoveToOuterScope(),
                [.. items], sampled.Sum(s => s.Foreground));
        }
        finally
        {
            foreach (var s in sampled) s.Dispose();
        }
    }

    private DetectionSample? TryLoad(int item, int minSize, bool flip)
    {
        if (_bad.ContainsKey(item)) return null;
        try
        {
            return data.LoadSample(item, minSize, options.Input.MaxSize, flip);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or TorchException or ArgumentException)
        {
            var reason = $"'{data[item].Path}': {e.Message}";
            _bad[item] = reason;
            warn?.Invoke($"skipping image {reason}");
            return null;
        }
    }

    /// <summary>Proposals [P, 4] in the view's pixels: the offline RPN on the view, or the file's boxes scaled (and mirrored) to it.</summary>
    private Tensor Proposals(int item, DetectionSample sample, bool flip)
    {
        if (rpn is not null)
        {
            using var set = rpn.Propose(sample.Image, new ProposalOptions(options.Regions.RpnNms, null, options.Regions.RpnTopK));
            return set.Boxes.clone();
        }
        using var view = fileProposals![item].InView(sample.OriginalHeight, sample.OriginalWidth, sample.Height, sample.Width, flip);
        // detectron2's transform_proposals: clipped to the view, boxes left without area dropped.
        using var boxes = ops.clip_boxes_to_image(view, (sample.Height, sample.Width));
        using var nonEmpty = (boxes.select(1, 2) - boxes.select(1, 0)).gt(0).logical_and((boxes.select(1, 3) - boxes.select(1, 1)).gt(0));
        return boxes[nonEmpty];
    }
}
