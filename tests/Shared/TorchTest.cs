// Linked into every test project (see the .csproj files).
using RegionClip.Torch;
using Xunit;

// Tests share one process-wide live-tensor count, so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace RegionClip.Testing;

/// <summary>Base for tests that touch tensors: fails the test if it leaves native tensors alive.</summary>
public abstract class TorchTest : IDisposable
{
    private readonly long _baseline = torch.LiveTensorCount;

    public virtual void Dispose()
    {
        var live = torch.LiveTensorCount;
        Assert.True(live == _baseline, $"{GetType().Name} leaked {live - _baseline} native tensor(s)");
        GC.SuppressFinalize(this);
    }
}
