using System.Diagnostics;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Nn;

/// <summary>100,000 tensor creations and operations inside scopes leave the native count and memory flat.</summary>
public sealed class LeakTests : TorchTest
{
    private static long ResidentBytes()
    {
        // /proc/self/statm: resident pages is the second field.
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }

    private static void Work(int iterations)
    {
        for (int i = 0; i < iterations; i++)
        {
            using var scope = torch.NewDisposeScope();
            var a = torch.rand(8, 8);
            var b = (a + 1) * a;
            var c = F.softmax(b.matmul(a.t()), 1).sum(0);
            _ = c[1..3];
        }
    }

    [Fact]
    public void HundredThousandTensorsInScopesLeaveCountAndMemoryFlat()
    {
        var count0 = torch.LiveTensorCount;
        Work(10_000); // warm up allocator pools and JIT before measuring memory
        GC.Collect();
        var rss0 = ResidentBytes();
        var sw = Stopwatch.StartNew();
        Work(20_000); // 20,000 × 8 tensors = 160,000 tensors created and freed
        GC.Collect();
        var rss1 = ResidentBytes();
        Assert.Equal(count0, torch.LiveTensorCount);
        // Anything leaking per iteration (≥ 256 B × 20k tensors) would show as several MB.
        var growth = rss1 - rss0;
        Assert.True(growth < 8 * 1024 * 1024, $"resident memory grew by {growth / 1024} KiB over 160,000 tensors ({sw.ElapsedMilliseconds} ms)");
    }

    [Fact]
    public void MoveToOuterScopeKeepsOnlyThatTensor()
    {
        var baseline = torch.LiveTensorCount;
        Tensor kept;
        using (var outer = torch.NewDisposeScope())
        {
            using (torch.NewDisposeScope())
            {
                var a = torch.ones(3);
                _ = a + 1;
                kept = (a * 2).MoveToOuterScope();
            }
            Assert.Equal(baseline + 1, torch.LiveTensorCount);
            Assert.Equal(new float[] { 2, 2, 2 }, kept.data<float>());
        }
        Assert.True(kept.IsDisposed);
        Assert.Equal(baseline, torch.LiveTensorCount);
    }
}
