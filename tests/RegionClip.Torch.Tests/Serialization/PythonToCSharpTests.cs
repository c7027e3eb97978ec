using RegionClip.Torch.Serialization;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// Checkpoints written by Python (tools/fixtures/gen_checkpoints.py, torch 1.13) load in C# with
/// the keys, order, dtypes, shapes, strides and values Python's torch.load sees.
/// </summary>
public class PythonToCSharpTests : TorchTest
{
    internal static string Fixture(string name) => Fixtures.Path("torch", "checkpoints", name);

    [Theory]
    [InlineData("state_dict")]
    [InlineData("state_dict_fp16")]
    [InlineData("detectron2_style")]
    [InlineData("nested")]
    [InlineData("saved_from_cuda")]
    public void LoadsWhatPythonSaw(string name)
    {
        var loaded = torch.load(Fixture(name + ".pt"));
        try
        {
            PythonView.AssertMatches(PythonView.Read(Fixture(name + ".json")), loaded);
        }
        finally
        {
            Checkpoint.DisposeTree(loaded);
        }
    }

    [Fact]
    public void StateDictKeepsKeyOrderAndBufferTypes()
    {
        var state = Checkpoint.LoadStateDict(Fixture("state_dict.pt"));
        try
        {
            Assert.Equal(
                ["mask", "token_ids", "conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                 "bn.num_batches_tracked", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"],
                state.Keys);
            Assert.Equal(ScalarType.Float32, state["conv.weight"].dtype);
            Assert.Equal(new long[] { 4, 3, 3, 3 }, state["conv.weight"].shape);
            Assert.Equal(ScalarType.Int64, state["bn.num_batches_tracked"].dtype);
            Assert.Empty(state["bn.num_batches_tracked"].shape);
            Assert.Equal(5L, state["bn.num_batches_tracked"].item<long>());
            Assert.Equal(new[] { true, false, true, true }, state["mask"].data<bool>());
            Assert.Equal(new[] { 3L, -1L, 1L << 40, 7L }, state["token_ids"].data<long>());
            Assert.False(state["conv.weight"].requires_grad);
        }
        finally
        {
            Checkpoint.DisposeTree(state);
        }
    }

    [Fact]
    public void HalfLoadsAsHalfOrAsFloatOnRequest()
    {
        var json = PythonView.Read(Fixture("state_dict_fp16.json"));
        var asHalf = Checkpoint.LoadStateDict(Fixture("state_dict_fp16.pt"));
        var asFloat = Checkpoint.LoadStateDict(Fixture("state_dict_fp16.pt"), halfToFloat: true);
        try
        {
            Assert.Equal(ScalarType.Float16, asHalf["conv.weight"].dtype);
            Assert.Equal(ScalarType.Float32, asFloat["conv.weight"].dtype);
            Assert.Equal(ScalarType.Int64, asFloat["bn.num_batches_tracked"].dtype);  // integers untouched
            Assert.Equal(ScalarType.Bool, asFloat["mask"].dtype);
            PythonView.AssertMatches(json, asFloat, halfToFloat: true);
            // float16 -> float32 is exact: the float32 values are the half values.
            using var widened = asHalf["head.0.weight"].to(ScalarType.Float32);
            Assert.True(widened.equal(asFloat["head.0.weight"]));
        }
        finally
        {
            Checkpoint.DisposeTree(asHalf);
            Checkpoint.DisposeTree(asFloat);
        }
    }

    [Fact]
    public void HalfToFloatReachesNestedValues()
    {
        var loaded = torch.load(Fixture("nested.pt"), halfToFloat: true);
        try
        {
            var tensors = (OrderedDictionary<string, object?>)((OrderedDictionary<string, object?>)loaded!)["tensors"]!;
            Assert.Equal(ScalarType.Float32, ((Tensor)tensors["float16"]!).dtype);
            Assert.Equal(ScalarType.Float32, ((Tensor)tensors["bfloat16"]!).dtype);
            Assert.Equal(new[] { 1.0f, -3.140625f, (float)1.0002555517425873e30 }, ((Tensor)tensors["bfloat16"]!).data<float>());
            Assert.Equal(ScalarType.Float64, ((Tensor)tensors["scalar"]!).dtype);  // not narrowed or widened
            PythonView.AssertMatches(PythonView.Read(Fixture("nested.json")), loaded, halfToFloat: true, checkStrides: false);
        }
        finally
        {
            Checkpoint.DisposeTree(loaded);
        }
    }

    [Fact]
    public void Detectron2WrapperUnwrapsToTheSameStateDict()
    {
        var model = Checkpoint.LoadStateDict(Fixture("detectron2_style.pt"));
        try
        {
            // The "model" entry equals the plain state dict Python saved before training a step.
            PythonView.AssertMatches(PythonView.Read(Fixture("state_dict.json")), model);
        }
        finally
        {
            Checkpoint.DisposeTree(model);
        }
    }

    [Fact]
    public void Detectron2WrapperKeepsTheOtherEntries()
    {
        var root = (OrderedDictionary<string, object?>)torch.load(Fixture("detectron2_style.pt"))!;
        try
        {
            Assert.Equal(["model", "iteration", "optimizer", "scheduler"], root.Keys);
            Assert.Equal(7L, root["iteration"]);
            var optimizer = (OrderedDictionary<string, object?>)root["optimizer"]!;
            var state = Assert.IsType<OrderedDictionary<long, object?>>(optimizer["state"]);  // integer keys
            Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), state.Keys);
            var group = (OrderedDictionary<string, object?>)((List<object?>)optimizer["param_groups"]!)[0]!;
            Assert.Equal(0.01, group["lr"]);
            Assert.Equal(false, group["nesterov"]);
            Assert.Null(group["foreach"]);
        }
        finally
        {
            Checkpoint.DisposeTree(root);
        }
    }

    [Fact]
    public void ViewsShareStorageAsInPython()
    {
        var root = (OrderedDictionary<string, object?>)torch.load(Fixture("nested.pt"))!;
        try
        {
            var t = (OrderedDictionary<string, object?>)root["tensors"]!;
            var (b, tr, slice, strided, alias) = ((Tensor)t["base"]!, (Tensor)t["transposed"]!, (Tensor)t["slice"]!, (Tensor)t["strided"]!, (Tensor)t["alias"]!);
            Assert.False(tr.is_contiguous());
            Assert.Equal(new long[] { 1, 6 }, tr.stride());
            Assert.Equal(new long[] { 6, 2 }, strided.stride());
            Assert.Equal(new float[] { 8, 9, 10, 14, 15, 16 }, slice.data<float>());
            Assert.Equal(Enumerable.Range(0, 24).Select(i => (float)(i % 4 * 6 + i / 4)), tr.data<float>());  // base.t()
            // One storage behind all of them: a write through the base shows in every view.
            b.fill_(-1);
            Assert.All(tr.data<float>(), v => Assert.Equal(-1f, v));
            Assert.All(slice.data<float>(), v => Assert.Equal(-1f, v));
            Assert.All(strided.data<float>(), v => Assert.Equal(-1f, v));
            Assert.All(alias.data<float>(), v => Assert.Equal(-1f, v));
        }
        finally
        {
            Checkpoint.DisposeTree(root);
        }
    }

    [Fact]
    public void NestedValuesKeepTheirKinds()
    {
        var root = (OrderedDictionary<string, object?>)torch.load(Fixture("nested.pt"))!;
        try
        {
            Assert.Equal(new List<object?> { 0L, -1L, 7L, 255L, 256L, 65536L, (long)int.MinValue, 1L << 40, -(1L << 62), long.MaxValue }, root["ints"]);
            Assert.Equal(new object?[] { 0.5, -1.25, 1e-30, 1e300, double.PositiveInfinity, double.NegativeInfinity }, root["floats"]);
            Assert.Equal(new List<object?> { "", "ascii", "ünïcödé ✓" }, root["strings"]);
            Assert.Null(root["nothing"]);
            Assert.Empty(Assert.IsType<List<object?>>(root["empty_list"]));
            Assert.Empty(Assert.IsType<object?[]>(root["empty_tuple"]));
            Assert.Empty(Assert.IsType<OrderedDictionary<string, object?>>(root["empty_dict"]));
            Assert.Equal([0L, 10L, -3L], Assert.IsType<OrderedDictionary<long, object?>>(root["int_keys"]).Keys);
            Assert.Equal("cuda:1", root["device"]);                       // torch.device as its string
            Assert.Equal(new object?[] { 2L, 3L }, root["size"]);          // torch.Size as a tuple
            var mixed = (List<object?>)root["mixed"]!;
            var inner = (object?[])mixed[3]!;
            Assert.Equal(6L, ((OrderedDictionary<string, object?>)((List<object?>)inner[1]!)[1]!)["six"]);
            var param = (Tensor)((OrderedDictionary<string, object?>)root["tensors"]!)["parameter"]!;
            Assert.True(param.requires_grad);                             // nn.Parameter keeps requires_grad
        }
        finally
        {
            Checkpoint.DisposeTree(root);
        }
    }

    [Fact]
    public void TorchScriptArchiveGivesParametersAndBuffersByName()
    {
        Assert.Equal(CheckpointKind.TorchScript, Checkpoint.Identify(Fixture("torchscript.pt")));
        var json = PythonView.Read(Fixture("torchscript.json"));
        var state = Checkpoint.LoadStateDict(Fixture("torchscript.pt"));
        try
        {
            // The order of Python's scripted_module.state_dict(): own parameters, own buffers, children.
            Assert.Equal(
                ["embed", "steps", "enabled", "block.scale", "block.linear.weight", "block.linear.bias", "norm.weight", "norm.bias"],
                state.Keys);
            PythonView.AssertMatches(json, state);
            Assert.Equal(ScalarType.Int64, state["steps"].dtype);
            Assert.False(state["embed"].requires_grad);  // detached: loading is not training
        }
        finally
        {
            Checkpoint.DisposeTree(state);
        }
    }

    [Fact]
    public void IdentifiesFormats()
    {
        Assert.Equal(CheckpointKind.TorchSave, Checkpoint.Identify(Fixture("state_dict.pt")));
        Assert.Equal(CheckpointKind.TorchScript, Checkpoint.Identify(Fixture("torchscript.pt")));
        Assert.Equal(CheckpointKind.LegacyPickle, Checkpoint.Identify(Fixture("legacy.pt")));
    }
}
