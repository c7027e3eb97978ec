namespace RegionClip.Torch.Tests.Nn;

/// <summary>Autograd basics on hand-computed cases.</summary>
public sealed class AutogradTests : TorchTest
{
    [Fact]
    public void BackwardAccumulatesExactGradients()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new double[] { 1, 2, 3 }).requires_grad_();
        // d/dx sum(x^3 + 2x) = 3x^2 + 2
        (x.pow(3) + x * 2).sum().backward();
        Assert.Equal(new double[] { 5, 14, 29 }, x.grad!.data<double>());
        (x * 1).sum().backward();
        Assert.Equal(new double[] { 6, 15, 30 }, x.grad!.data<double>());
        x.grad = null;
        Assert.Null(x.grad);
    }

    [Fact]
    public void NoGradAndInferenceModeStopRecording()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(2).requires_grad_();
        using (torch.no_grad())
        {
            Assert.False(torch.is_grad_enabled());
            Assert.False((x * 2).requires_grad);
        }
        Assert.True(torch.is_grad_enabled());
        using (torch.inference_mode())
        {
            Assert.True(torch.is_inference_mode_enabled());
            var y = x * 2;
            Assert.False(y.requires_grad);
            Assert.True(y.is_inference());
        }
        Assert.False(torch.is_inference_mode_enabled());
        Assert.True((x * 2).requires_grad);
    }

    [Fact]
    public void BackwardOnNonScalarWithoutGradientIsAClearError()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(3).requires_grad_();
        var e = Assert.Throws<TorchException>(() => (x * 2).backward());
        Assert.Contains("Tensor.backward", e.Message);
        Assert.Contains("scalar", e.Message);
    }

    [Fact]
    public void DetachCutsTheGraph()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(2).requires_grad_();
        var d = (x * 3).detach();
        Assert.False(d.requires_grad);
        Assert.True(d.is_leaf);
    }
}

public sealed class RuntimeTests : TorchTest
{
    [Fact]
    public void IntraOpThreadsDefaultToCoresAndCanBeOverridden()
    {
        var configured = Environment.GetEnvironmentVariable("REGIONCLIP_NUM_THREADS");
        if (string.IsNullOrEmpty(configured) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_NUM_THREADS")))
            Assert.Equal(Environment.ProcessorCount, torch.get_num_threads());
        var before = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            Assert.Equal(1, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(before);
        }
        Assert.Throws<TorchException>(() => torch.set_num_threads(0));
    }

    [Fact]
    public void ReportsLibtorchVersion() => Assert.Matches(@"^\d+\.\d+", torch.version);
}
