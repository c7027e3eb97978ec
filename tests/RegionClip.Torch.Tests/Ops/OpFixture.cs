using System.Globalization;
using System.Runtime.CompilerServices;
using RegionClip.Torch.Serialization;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>
/// The tensors of tests/fixtures/torch/ops.pt (made by tools/fixtures/gen_torch_ops.py), keyed
/// "&lt;case&gt;.&lt;name&gt;". Load it before opening the test's dispose scope; disposing it frees every
/// loaded tensor.
/// </summary>
internal sealed class OpFixture : IDisposable
{
    private readonly OrderedDictionary<string, object?> _tensors;

    private OpFixture(OrderedDictionary<string, object?> tensors) => _tensors = tensors;

    public static OpFixture Load()
    {
        var root = torch.load(Fixtures.Path("torch", "ops.pt"));
        if (root is OrderedDictionary<string, object?> dict) return new OpFixture(dict);
        Checkpoint.DisposeTree(root);
        throw new InvalidDataException("ops.pt does not hold a dict of tensors; regenerate it with tools/fixtures/gen_torch_ops.py");
    }

    public Tensor this[string key] =>
        _tensors.TryGetValue(key, out var v) && v is Tensor t
            ? t
            : throw new KeyNotFoundException($"ops.pt has no tensor '{key}'; regenerate it with /usr/bin/python3 tools/fixtures/gen_torch_ops.py");

    public bool Has(string key) => _tensors.ContainsKey(key);

    /// <summary>A fresh leaf copy of a fixture input that records gradients (owned by the current scope).</summary>
    public Tensor Leaf(string key)
    {
        var t = this[key].clone();
        t.requires_grad = true;
        return t;
    }

    /// <summary>
    /// Back-propagates the loss the generator used for this case: the sum over floating outputs of
    /// (out_i * dout_i).sum() when the fixture holds the weights dout (or dout0, dout1, ...), else of out_i.sum().
    /// </summary>
    public void Backward(string name, params Tensor[] outputs)
    {
        Tensor? loss = null;
        for (int i = 0; i < outputs.Length; i++)
        {
            if (!outputs[i].is_floating_point()) continue; // indices carry no gradient; the generator skips them too
            var key = outputs.Length == 1 ? $"{name}.dout" : $"{name}.dout{i}";
            var term = Has(key) ? (outputs[i] * this[key]).sum() : outputs[i].sum();
            loss = loss is null ? term : loss + term;
        }
        if (loss is null) throw new ArgumentException("no outputs to back-propagate", nameof(outputs));
        loss.backward();
    }

    /// <summary>Compares leaf.grad with the fixture's "&lt;case&gt;.grad_&lt;input&gt;".</summary>
    public void ExpectGrad(string name, string input, Tensor leaf, double atol, double rtol = 0) =>
        Expect.Close(this[$"{name}.grad_{input}"], leaf.grad, atol, rtol, $"{name}: d loss / d {input}");

    public void Dispose() => Checkpoint.DisposeTree(_tensors);
}

/// <summary>Closeness and equality checks whose failure messages carry the error and the shapes.</summary>
internal static class Expect
{
    /// <summary>
    /// Asserts same dtype and shape and |actual - expected| &lt;= atol + rtol * |expected| everywhere
    /// (NaN only where expected is NaN); on failure reports the max abs error, where, and both shapes.
    /// </summary>
    public static void Close(Tensor expected, Tensor? actual, double atol, double rtol = 0,
        [CallerArgumentExpression(nameof(actual))] string what = "")
    {
        Assert.True(actual is not null, $"{what}: expected a tensor of shape {Shape(expected)}, got null");
        Assert.True(expected.dtype == actual.dtype, $"{what}: dtype {actual.dtype.Name()} (shape {Shape(actual)}), expected {expected.dtype.Name()} (shape {Shape(expected)})");
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape {Shape(actual)}, expected {Shape(expected)}");
        double[] e = AsDoubles(expected), a = AsDoubles(actual);
        double maxErr = 0, worstExcess = 0;
        int maxAt = -1, worstAt = -1;
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) || double.IsNaN(a[i]))
            {
                if (double.IsNaN(e[i]) && double.IsNaN(a[i])) continue;
                maxErr = double.NaN;
                maxAt = worstAt = i;
                worstExcess = double.PositiveInfinity;
                break;
            }
            var err = Math.Abs(a[i] - e[i]);
            if (err > maxErr) { maxErr = err; maxAt = i; }
            var excess = err - (atol + rtol * Math.Abs(e[i]));
            if (excess > worstExcess) { worstExcess = excess; worstAt = i; }
        }
        Assert.True(worstExcess <= 0,
            string.Format(CultureInfo.InvariantCulture,
                "{0}: max |actual - expected| = {1:g4} at flat index {2} exceeds atol {3:g} + rtol {4:g} * |expected| (worst at index {5}: actual {6:g9}, expected {7:g9}); shape {8}",
                what, maxErr, maxAt, atol, rtol, worstAt, worstAt >= 0 ? a[worstAt] : 0, worstAt >= 0 ? e[worstAt] : 0, Shape(expected)));
    }

    /// <summary>Asserts same dtype, shape and exactly equal elements (for integers, booleans and indices).</summary>
    public static void Exact(Tensor expected, Tensor? actual, [CallerArgumentExpression(nameof(actual))] string what = "")
    {
        Assert.True(actual is not null, $"{what}: expected a tensor of shape {Shape(expected)}, got null");
        Assert.True(expected.dtype == actual.dtype, $"{what}: dtype {actual.dtype.Name()} (shape {Shape(actual)}), expected {expected.dtype.Name()} (shape {Shape(expected)})");
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape {Shape(actual)}, expected {Shape(expected)}");
        double[] e = AsDoubles(expected), a = AsDoubles(actual);
        for (int i = 0; i < e.Length; i++)
            Assert.True(e[i].Equals(a[i]), $"{what}: element {i} is {a[i]}, expected {e[i]} (exact comparison); shape {Shape(expected)}");
    }

    public static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";

    private static double[] AsDoubles(Tensor t)
    {
        using var d = t.detach();
        using var f = d.to(ScalarType.Float64);
        return f.data<double>();
    }
}
