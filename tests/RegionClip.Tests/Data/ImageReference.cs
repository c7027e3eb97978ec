using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Data;

/// <summary>
/// tests/fixtures/images/reference.pt (written by tools/fixtures/gen_images.py with PIL and
/// torchvision). Load it before the test's dispose scope; disposing it frees every tensor.
/// </summary>
internal sealed class ImageReference : IDisposable
{
    private readonly OrderedDictionary<string, object?> _tensors;

    private ImageReference(OrderedDictionary<string, object?> tensors) => _tensors = tensors;

    public static string File(string name) => Paths.Fixture("images", name);

    public static ImageReference Load()
    {
        var root = torch.load(File("reference.pt"));
        if (root is OrderedDictionary<string, object?> dict) return new ImageReference(dict);
        Checkpoint.DisposeTree(root);
        throw new InvalidDataException("reference.pt does not hold a dict of tensors; regenerate it with /usr/bin/python3 tools/fixtures/gen_images.py");
    }

    public Tensor this[string key] =>
        _tensors.TryGetValue(key, out var v) && v is Tensor t
            ? t
            : throw new KeyNotFoundException($"reference.pt has no tensor '{key}'; regenerate it with /usr/bin/python3 tools/fixtures/gen_images.py");

    public long[] Longs(string key) => this[key].data<long>();

    public void Dispose() => Checkpoint.DisposeTree(_tensors);

    /// <summary>max |a − b| over all elements, computed in float64 (shapes must match).</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        using var scope = torch.NewDisposeScope();
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }
}
