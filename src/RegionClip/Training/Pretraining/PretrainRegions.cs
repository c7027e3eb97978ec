using RegionClip.Common;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Training.Pretraining;

/// <summary>
/// Candidate regions of one resized (and possibly mirrored) training image, in its pixels, before the
/// per-image random subset: an offline RPN's proposals, a proposals file's boxes, random boxes or a grid.
/// </summary>
public sealed class PretrainRegions : IDisposable
{
    private readonly PretrainRegionOptions _options;
    private readonly ProposalNetwork? _rpn;
    private readonly IReadOnlyList<ImageProposals>? _fileProposals;

    private PretrainRegions(PretrainRegionOptions options, ProposalNetwork? rpn, IReadOnlyList<ImageProposals>? fileProposals)
    {
        (_options, _rpn, _fileProposals) = (options, rpn, fileProposals);
    }

    /// <summary>Opens the source <paramref name="options"/> names; a proposals file is matched to <paramref name="imageNames"/> once.</summary>
    public static PretrainRegions Open(PretrainRegionOptions options, IReadOnlyList<string> imageNames)
    {
        switch (options.Source)
        {
            case RegionSource.Rpn:
                var rpn = ProposalNetwork.Load(options.Rpn!);
                rpn.eval();
                return new PretrainRegions(options, rpn, null);
            case RegionSource.File:
                var file = ProposalsFile.Read(options.Proposals!);
                return new PretrainRegions(options, null, file.Assign(imageNames));
            default:
                return new PretrainRegions(options, null, null);
        }
    }

    /// <summary>
    /// Candidate boxes [K, 4] (float32 XYXY) of image <paramref name="index"/>, resized from
    /// <paramref name="original"/> to the size of <paramref name="resized"/> (uint8 [H, W, 3], already
    /// mirrored when <paramref name="flipped"/>).
    /// </summary>
    public Tensor Candidates(int index, Tensor resized, (int Height, int Width) original, bool flipped, Prng rng)
    {
        int h = (int)resized.size(0), w = (int)resized.size(1);
        switch (_options.Source)
        {
            case RegionSource.Rpn:
                using (var set = _rpn!.Propose(resized, new ProposalOptions(_options.RpnNms, null, _options.RpnTopK)))
                    return set.Boxes.clone();
            case RegionSource.File:
                return _fileProposals![index].InView(original.Height, original.Width, h, w, flipped);
            case RegionSource.Random:
                return RandomBoxes(h, w, _options.PerImage, rng);
            default:
                return GridBoxes(h, w);
        }
    }

    /// <summary>
    /// The official RANDOM regions: corners on an 8-pixel grid, the top-left uniform, the bottom-right
    /// uniform among the grid lines at or after it. Drawn inside each image (the official draws one set
    /// over the padded batch and gives it to every image).
    /// </summary>
    public static Tensor RandomBoxes(int h, int w, int count, Prng rng)
    {
        const int Grid = 8;
        int cols = Math.Max(1, w / Grid), rows = Math.Max(1, h / Grid);
        var values = new float[count * 4];
        for (int i = 0; i < count; i++)
        {
            int x = rng.NextInt(cols), y = rng.NextInt(rows);
            int x2 = x + 1 + rng.NextInt(cols - x), y2 = y + 1 + rng.NextInt(rows - y);
            values[4 * i] = x * Grid;
            values[4 * i + 1] = y * Grid;
            values[4 * i + 2] = Math.Min(w, x2 * Grid);
            values[4 * i + 3] = Math.Min(h, y2 * Grid);
        }
        return torch.tensor(values, count, 4);
    }

    /// <summary>Every cell of a 1×1, 2×2, 3×3 and 4×4 grid over the image (30 boxes).</summary>
    public static Tensor GridBoxes(int h, int w)
    {
        var values = new List<float>();
        for (int k = 1; k <= 4; k++)
            for (int r = 0; r < k; r++)
                for (int c = 0; c < k; c++)
                    values.AddRange([(float)w * c / k, (float)h * r / k, (float)w * (c + 1) / k, (float)h * (r + 1) / k]);
        return torch.tensor(values.ToArray(), values.Count / 4, 4);
    }

    public void Dispose() => _rpn?.Dispose();
}
