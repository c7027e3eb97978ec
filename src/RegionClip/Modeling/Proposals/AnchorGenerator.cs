using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's DefaultAnchorGenerator: per level, cell anchors centred on (0, 0) — sizes outer,
/// aspect ratios (h / w) inner, area size² — shifted to every feature-map location
/// (x = col · stride + offset · stride, likewise y), row-major, A anchors per location.
/// </summary>
public sealed class AnchorGenerator
{
    private readonly float[][] _cells;   // per level: A × (x1, y1, x2, y2)

    /// <param name="sizes">Anchor sizes per level (one list for all levels is not broadcast: give one per stride).</param>
    public AnchorGenerator(IReadOnlyList<double[]> sizes, double[] aspectRatios, int[] strides, double offset = 0.0)
        : this(CheckSizes(sizes, aspectRatios, strides).Select(s => CellAnchors(s, aspectRatios)).ToArray(), strides, offset)
    {
    }

    private AnchorGenerator(float[][] cells, int[] strides, double offset)
    {
        if (cells.Length != strides.Length)
            throw new ArgumentException($"{cells.Length} cell-anchor level(s) for {strides.Length} stride(s)");
        if (cells.Any(c => c.Length == 0 || c.Length % 4 != 0) || cells.Select(c => c.Length).Distinct().Count() != 1)
            throw new ArgumentException("every level needs the same positive number of cell anchors (one RPN head serves all levels)");
        Strides = strides;
        Offset = offset;
        _cells = cells;
        NumAnchors = _cells[0].Length / 4;
    }

    /// <summary>
    /// The anchors a trained network recorded (detectron2's "anchor_generator.cell_anchors.{level}"
    /// buffers, [A, 4] each, centred on (0, 0)), used as they are.
    /// </summary>
    public static AnchorGenerator FromCells(IReadOnlyList<float[]> cells, int[] strides, double offset = 0.0) =>
        new(cells.Select(c => c.ToArray()).ToArray(), strides, offset);

    /// <summary>C4 — sizes 32..512 × ratios 0.5, 1, 2 on res4 (stride 16); FPN — one size per level p2..p6.</summary>
    public static AnchorGenerator For(RpnKind kind) => For(kind, null, null);

    /// <summary>
    /// Anchors of a variant with chosen sizes and ratios (null: the official ones). Single-level variants
    /// take one size list; FPN takes one list per level or one list for every level (detectron2 broadcasts it).
    /// </summary>
    public static AnchorGenerator For(RpnKind kind, IReadOnlyList<double[]>? sizes, double[]? aspectRatios)
    {
        var strides = StridesOf(kind);
        sizes ??= kind.IsSingleLevel() ? [[32, 64, 128, 256, 512]] : [[32], [64], [128], [256], [512]];
        if (sizes.Count == 1 && strides.Length > 1) sizes = Enumerable.Repeat(sizes[0], strides.Length).ToArray();
        return new AnchorGenerator(sizes, aspectRatios ?? Ratios, strides);
    }

    /// <summary>Feature strides of a variant's anchor levels: 16 (res4) or 4..64 (p2..p6).</summary>
    public static int[] StridesOf(RpnKind kind) => kind.IsSingleLevel() ? [16] : Fpn.OutStrides;

    /// <summary>detectron2's key of a level's cell anchors in checkpoints that record them.</summary>
    public static string CellAnchorsKey(int level) => $"proposal_generator.anchor_generator.cell_anchors.{level}";

    /// <summary>True when this generator makes exactly the official anchors of <paramref name="kind"/>.</summary>
    public bool IsDefaultFor(RpnKind kind)
    {
        var official = For(kind);
        return official.Offset == Offset && official.Strides.SequenceEqual(Strides)
            && official._cells.Length == _cells.Length && official._cells.Zip(_cells).All(p => p.First.SequenceEqual(p.Second));
    }

    private static IReadOnlyList<double[]> CheckSizes(IReadOnlyList<double[]> sizes, double[] aspectRatios, int[] strides)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(aspectRatios);
        ArgumentNullException.ThrowIfNull(strides);
        if (sizes.Count != strides.Length)
            throw new ArgumentException($"{sizes.Count} anchor size list(s) for {strides.Length} stride(s)");
        if (sizes.Select(s => s.Length).Distinct().Count() != 1)
            throw new ArgumentException("every level needs the same number of anchor sizes (one RPN head serves all levels)");
        if (sizes.Any(s => s.Length == 0 || s.Any(v => !(v > 0) || !double.IsFinite(v))))
            throw new ArgumentException($"anchor sizes must be positive numbers, got [{string.Join("; ", sizes.Select(s => string.Join(", ", s)))}]");
        if (aspectRatios.Length == 0 || aspectRatios.Any(r => !(r > 0) || !double.IsFinite(r)))
            throw new ArgumentException($"aspect ratios must be positive numbers, got [{string.Join(", ", aspectRatios)}]");
        return sizes;
    }

    private static readonly double[] Ratios = [0.5, 1.0, 2.0];

    public int[] Strides { get; }
    public double Offset { get; }

    /// <summary>Anchors per location (the RPN head's A).</summary>
    public int NumAnchors { get; }

    /// <summary>A level's cell anchors [A, 4] (float32, as detectron2 stores them).</summary>
    public Tensor CellAnchors(int level) => torch.tensor(_cells[level], _cells[level].Length / 4, 4);

    /// <summary>Number of anchor levels (feature maps).</summary>
    public int Levels => _cells.Length;

    /// <summary>A copy of a level's cell anchors, A × (x1, y1, x2, y2) flattened.</summary>
    public float[] CellAnchorValues(int level) => _cells[level].ToArray();

    /// <summary>Anchors of every level for feature maps of the given sizes: [Hi·Wi·A, 4] each, location-major.</summary>
    public Tensor[] GridAnchors(IReadOnlyList<(long h, long w)> gridSizes)
    {
        if (gridSizes.Count != Strides.Length)
            throw new ArgumentException($"{gridSizes.Count} feature map(s) for {Strides.Length} anchor level(s)");
        var result = new Tensor[gridSizes.Count];
        for (int i = 0; i < result.Length; i++)
        {
            using var scope = torch.NewDisposeScope();
            var (h, w) = gridSizes[i];
            long stride = Strides[i];
            var xs = torch.arange(Offset * stride, w * stride, stride, ScalarType.Float32);
            var ys = torch.arange(Offset * stride, h * stride, stride, ScalarType.Float32);
            var grid = torch.meshgrid([ys, xs], "ij");
            Tensor sy = grid[0].reshape(-1), sx = grid[1].reshape(-1);
            var shifts = torch.stack([sx, sy, sx, sy], 1);                                       // [HW, 4]
            var anchors = shifts.view(-1, 1, 4) + CellAnchors(i).view(1, -1, 4);                 // [HW, A, 4]
            result[i] = anchors.reshape(-1, 4).MoveToOuterScope();
        }
        return result;
    }

    // Computed in double as Python floats, stored as float32 (torch.tensor of Python floats).
    private static float[] CellAnchors(double[] sizes, double[] ratios)
    {
        var cells = new List<float>();
        foreach (var size in sizes)
        {
            var area = size * size;
            foreach (var ratio in ratios)
            {
                var w = Math.Sqrt(area / ratio);
                var h = ratio * w;
                cells.AddRange([(float)(-w / 2.0), (float)(-h / 2.0), (float)(w / 2.0), (float)(h / 2.0)]);
            }
        }
        return cells.ToArray();
    }
}
