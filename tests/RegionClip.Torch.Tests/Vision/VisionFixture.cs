using RegionClip.Torch.Serialization;

namespace RegionClip.Torch.Tests.Vision;

/// <summary>
/// The tensors of one tests/fixtures/torch/vision/*.pt file (made by tools/fixtures/gen_vision_ops.py),
/// keyed "&lt;case&gt;.&lt;name&gt;". Load it before opening the test's dispose scope; disposing it frees
/// every loaded tensor.
/// </summary>
internal sealed class VisionFixture : IDisposable
{
    private readonly OrderedDictionary<string, object?> _tensors;
    private readonly string _file;

    private VisionFixture(string file, OrderedDictionary<string, object?> tensors) => (_file, _tensors) = (file, tensors);

    public static VisionFixture Load(string file)
    {
        var root = torch.load(Fixtures.Path("torch", "vision", file));
        if (root is OrderedDictionary<string, object?> dict) return new VisionFixture(file, dict);
        Checkpoint.DisposeTree(root);
        throw new InvalidDataException($"{file} does not hold a dict of tensors; regenerate it with tools/fixtures/gen_vision_ops.py");
    }

    public Tensor this[string key] =>
        _tensors.TryGetValue(key, out var v) && v is Tensor t
            ? t
            : throw new KeyNotFoundException($"{_file} has no tensor '{key}'; regenerate it with /usr/bin/python3 tools/fixtures/gen_vision_ops.py");

    /// <summary>A fresh leaf copy of a fixture input that records gradients (owned by the current scope).</summary>
    public Tensor Leaf(string key)
    {
        var t = this[key].clone();
        t.requires_grad = true;
        return t;
    }

    public void Dispose() => Checkpoint.DisposeTree(_tensors);
}
