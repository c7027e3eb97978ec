using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>
/// What the binding promises beyond the numbers: native errors become exceptions naming the op and
/// the input shapes, disposal is safe and scoped, dtypes follow PyTorch, grad modes nest, and
/// generators reproduce.
/// </summary>
public class BindingContractTests : TorchTest
{
    // ---- errors -------------------------------------------------------------------------------

    [Fact]
    public void Matmul_ShapeMismatch_NamesOpAndShapes()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.zeros(2, 3);
        var b = torch.zeros(4, 5);
        var e = Assert.Throws<TorchException>(() => a.matmul(b));
        Assert.Equal("torch.matmul", e.Operation);
        Assert.StartsWith("torch.matmul(float32[2, 3], float32[4, 5]): ", e.Message);
        Assert.Contains("2x3", e.Message);   // libtorch's own explanation follows the shapes
    }

    [Fact]
    public void View_ToIncompatibleShape_NamesOpAndShapes()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(2, 3);
        var e = Assert.Throws<TorchException>(() => x.view(4, 2));
        Assert.Equal("Tensor.view", e.Operation);
        Assert.Contains("float32[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }

    [Fact]
    public void Cat_MismatchedDims_NamesEveryInput()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.zeros(2, 3);
        var b = torch.zeros([2, 4], ScalarType.Float64);
        var e = Assert.Throws<TorchException>(() => torch.cat([a, b], 0));
        Assert.Equal("torch.cat", e.Operation);
        Assert.StartsWith("torch.cat(float32[2, 3], float64[2, 4]): ", e.Message);
    }

    [Fact]
    public void Conv2d_ChannelMismatch_NamesInputWeightAndBias()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(1, 3, 5, 5);
        var w = torch.zeros(4, 2, 3, 3);
        var e = Assert.Throws<TorchException>(() => F.conv2d(x, w));
        Assert.StartsWith("F.conv2d(float32[1, 3, 5, 5], float32[4, 2, 3, 3], None): ", e.Message);
    }

    [Fact]
    public void Backward_OnATensorWithoutGraph_IsATorchException()
    {
        using var scope = torch.NewDisposeScope();
        var loss = torch.ones(3).sum();
        var e = Assert.Throws<TorchException>(() => loss.backward());
        Assert.Equal("Tensor.backward", e.Operation);
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void AfterAnError_TheNextCallsWork()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(2, 2);
        Assert.Throws<TorchException>(() => x.view(3));
        Assert.Equal(new float[] { 2, 2, 2, 2 }, (x + x).data<float>());
    }

    // ---- disposal -----------------------------------------------------------------------------

    [Fact]
    public void DisposedTensor_ThrowsObjectDisposed_EvenAsASecondOperand()
    {
        var t = torch.ones(2);
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.shape);
        Assert.Throws<ObjectDisposedException>(() => t + 1);
        Assert.Throws<ObjectDisposedException>(() => t.data<float>());
        using var other = torch.ones(2);
        Assert.Throws<ObjectDisposedException>(() => other + t);
        Assert.Throws<ObjectDisposedException>(() => torch.cat([other, t]));
        Assert.Equal("tensor(<disposed>)", t.ToString());
    }

    [Fact]
    public void DoubleDispose_IsHarmless_AlsoWhenTheScopeDisposesAgain()
    {
        var before = torch.LiveTensorCount;
        var t = torch.ones(2);
        t.Dispose();
        t.Dispose();
        Assert.Equal(before, torch.LiveTensorCount);

        using (var scope = torch.NewDisposeScope())
        {
            var u = torch.ones(2);
            u.Dispose();
            Assert.Equal(before, torch.LiveTensorCount);
        } // the scope disposes u a second time
        Assert.Equal(before, torch.LiveTensorCount);
    }

    [Fact]
    public void View_OutlivesItsDisposedBase_AndSharesStorageUntilThen()
    {
        var baseTensor = torch.arange(6);
        var view = baseTensor.narrow(0, 2, 3);
        baseTensor.add_(10);
        Assert.Equal(new long[] { 12, 13, 14 }, view.data<long>());   // shared storage
        baseTensor.Dispose();
        Assert.Equal(new long[] { 12, 13, 14 }, view.data<long>());   // storage kept alive by the view
        view.add_(1);
        Assert.Equal(new long[] { 13, 14, 15 }, view.data<long>());
        view.Dispose();
    }

    [Fact]
    public void DisposeScope_FreesEverythingCreatedInside()
    {
        var before = torch.LiveTensorCount;
        Tensor a, b;
        using (var scope = torch.NewDisposeScope())
        {
            a = torch.ones(2, 2);
            b = (a + 1).relu();
            Assert.Equal(3, scope.Count);
            Assert.Equal(before + 3, torch.LiveTensorCount);
        }
        Assert.True(a.IsDisposed);
        Assert.True(b.IsDisposed);
        Assert.Equal(before, torch.LiveTensorCount);
    }

    [Fact]
    public void DisposeScope_KeepsALoopFlat()
    {
        var before = torch.LiveTensorCount;
        using var acc = torch.zeros(3).DetachFromDisposeScope();
        for (int i = 0; i < 50; i++)
        {
            using var scope = torch.NewDisposeScope();
            var step = torch.ones(3) * i;
            acc.add_(step.exp().log());
        }
        Assert.Equal(before + 1, torch.LiveTensorCount);
        Assert.Equal(1225f, acc.data<float>()[0], 2);
    }

    [Fact]
    public void MoveToOuterScope_KeepsOneTensorAlivePastTheInnerScope()
    {
        var before = torch.LiveTensorCount;
        Tensor kept, dropped;
        using (var outer = torch.NewDisposeScope())
        {
            using (var inner = torch.NewDisposeScope())
            {
                kept = (torch.ones(3) * 2).MoveToOuterScope();
                dropped = torch.zeros(3);
                Assert.Equal(2, inner.Count); // the ones() temporary and dropped
            }
            Assert.False(kept.IsDisposed);
            Assert.True(dropped.IsDisposed);
            Assert.Equal(1, outer.Count);
            Assert.Equal(new float[] { 2, 2, 2 }, kept.data<float>());
        }
        Assert.True(kept.IsDisposed);
        Assert.Equal(before, torch.LiveTensorCount);
    }

    [Fact]
    public void MoveToOuterScope_FromTheOutermostScope_HandsOwnershipToTheCaller()
    {
        Tensor owned;
        using (var scope = torch.NewDisposeScope()) owned = torch.ones(2).MoveToOuterScope();
        Assert.False(owned.IsDisposed);
        owned.Dispose();
    }

    // ---- dtypes -------------------------------------------------------------------------------

    [Fact]
    public void IntegerTensorPlusOne_StaysInteger()
    {
        using var scope = torch.NewDisposeScope();
        var i64 = torch.arange(3);
        Assert.Equal(ScalarType.Int64, i64.dtype);
        var y = i64 + 1;
        Assert.Equal(ScalarType.Int64, y.dtype);
        Assert.Equal(new long[] { 1, 2, 3 }, y.data<long>());
        var i32 = torch.tensor(new[] { 4, 5 });
        Assert.Equal(ScalarType.Int32, (i32 + 1).dtype);
        Assert.Equal(ScalarType.Int32, (i32 * 2L).dtype);
        Assert.Equal(ScalarType.Float32, (i64 + 1.0).dtype);
        Assert.Equal(ScalarType.Bool, (i64 > 1).dtype);
        i64.add_(2);
        Assert.Equal(ScalarType.Int64, i64.dtype);
        Assert.Equal(new long[] { 2, 3, 4 }, i64.data<long>());
    }

    // ---- autograd modes -----------------------------------------------------------------------

    [Fact]
    public void NoGrad_StopsRecording_NestsWithEnableGrad_AndRestores()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(2).requires_grad_();
        Assert.True(torch.is_grad_enabled());
        using (torch.no_grad())
        {
            Assert.False(torch.is_grad_enabled());
            Assert.False((x * 2).requires_grad);
            using (torch.enable_grad())
            {
                Assert.True(torch.is_grad_enabled());
                Assert.True((x * 2).requires_grad);
            }
            Assert.False(torch.is_grad_enabled());
        }
        Assert.True(torch.is_grad_enabled());
        var y = x * 2;
        Assert.True(y.requires_grad);
        Assert.False(y.is_leaf);
        y.sum().backward();
        Assert.Equal(new float[] { 2, 2 }, x.grad!.data<float>());
    }

    [Fact]
    public void NoGradGuard_DisposedTwice_RestoresOnlyOnce()
    {
        var guard = torch.no_grad();
        guard.Dispose();
        using (torch.no_grad())
        {
            guard.Dispose(); // must not re-enable grad inside the second guard
            Assert.False(torch.is_grad_enabled());
        }
        Assert.True(torch.is_grad_enabled());
    }

    [Fact]
    public void InferenceMode_MarksTensors_AndTheyCannotJoinAGraphLater()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.ones(2).requires_grad_();
        Tensor made;
        using (torch.inference_mode())
        {
            Assert.True(torch.is_inference_mode_enabled());
            Assert.False(torch.is_grad_enabled());
            made = torch.ones(2) * 3;
            Assert.True(made.is_inference());
            Assert.False((w * 2).requires_grad);
        }
        Assert.False(torch.is_inference_mode_enabled());
        Assert.True(torch.is_grad_enabled());
        Assert.False(torch.ones(2).is_inference());
        var e = Assert.Throws<TorchException>(() => made * w);
        Assert.Contains("Inference tensor", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void InferenceMode_Disabled_IsANoOp()
    {
        using var scope = torch.NewDisposeScope();
        using (torch.inference_mode(false))
        {
            Assert.False(torch.is_inference_mode_enabled());
            Assert.False(torch.ones(1).is_inference());
        }
    }

    // ---- random generators --------------------------------------------------------------------

    [Fact]
    public void Generator_SameSeedSameNumbers_DifferentSeedDifferentNumbers()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var g3 = new Generator(43);
        var a = torch.rand([8], g1);
        var b = torch.rand([8], g2);
        var c = torch.rand([8], g3);
        Assert.True(a.equal(b), "two generators seeded 42 must agree");
        Assert.False(a.equal(c), "seeds 42 and 43 must differ");
        Assert.True(torch.randperm(10, g1).equal(torch.randperm(10, g2)));
        Assert.True(torch.randint(0, 100, [5], g1).equal(torch.randint(0, 100, [5], g2)));
    }

    [Fact]
    public void Generator_SetState_ReplaysTheSequence()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(7);
        torch.randn([3], g);
        var state = g.get_state();
        var first = torch.randn([4], g);
        var second = torch.randn([4], g);
        Assert.False(first.equal(second), "a generator must advance");
        g.set_state(state);
        Assert.True(torch.randn([4], g).equal(first));
        Assert.True(torch.empty([4]).normal_(generator: g).equal(second));
    }

    [Fact]
    public void Generator_UseAfterDispose_Throws()
    {
        var g = new Generator(1);
        g.Dispose();
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => torch.rand([2], g));
    }

    [Fact]
    public void ManualSeed_MakesTheGlobalGeneratorRepeat()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(123);
        var a = torch.rand(5);
        torch.manual_seed(123);
        var b = torch.rand(5);
        Assert.True(a.equal(b));
    }
}
