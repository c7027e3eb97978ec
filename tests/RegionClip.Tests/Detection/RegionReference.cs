using System.Text.Json;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Structures;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Detection;

/// <summary>tests/fixtures/regions (tools/fixtures/gen_regions.py): the PyTorch composition of the official CLIP modules with torchvision's roi_align.</summary>
internal sealed class RegionReference : IDisposable
{
    internal sealed record Case(string File, int MinSize, int MaxSize, float[][] Boxes, int[] InputSize)
    {
        public string Path => Paths.Fixture("images", File);
        public DetectionResize Resize => new(MinSize, MaxSize);
        public Tensor BoxTensor() => Box.ToTensor(Boxes.Select(b => new Box(b[0], b[1], b[2], b[3])).ToList());
    }

    private readonly OrderedDictionary<string, Tensor> _tensors;

    internal RegionReference()
    {
        _tensors = Checkpoint.LoadStateDict(Paths.Fixture("regions", "regions_ref.pt"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Paths.Fixture("regions", "regions_ref.json")));
        var root = doc.RootElement;
        Names = root.GetProperty("names").EnumerateArray().Select(e => e.GetString()!).ToList();
        Cases = root.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("file").GetString()!, c.GetProperty("min_size").GetInt32(), c.GetProperty("max_size").GetInt32(),
            c.GetProperty("boxes").EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray(),
            c.GetProperty("input_size").EnumerateArray().Select(v => v.GetInt32()).ToArray())).ToList();
    }

    internal IReadOnlyList<string> Names { get; }
    internal IReadOnlyList<Case> Cases { get; }
    internal Tensor this[string key] => _tensors[key];

    /// <summary>The reference concepts as an extract-concepts output (tensor + names beside it) in <paramref name="dir"/>; returns its path.</summary>
    internal string SaveConcepts(TempDir dir)
    {
        var path = dir.File("concepts.pth");
        using var pool = RegionClip.Modeling.Clip.ConceptPool.FromEmbeddings(this["concepts"].clone(), Names);
        pool.Save(path);
        return path;
    }

    /// <summary>‖expected − actual‖ / ‖expected‖ in float64.</summary>
    internal static double RelativeError(Tensor expected, Tensor actual)
    {
        using var scope = torch.NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(ScalarType.Float64);
        return (e - actual.to(ScalarType.Float64)).norm().item<double>() / e.norm().item<double>();
    }

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
    }
}
