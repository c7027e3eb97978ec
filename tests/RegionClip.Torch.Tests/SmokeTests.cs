namespace RegionClip.Torch.Tests;

public class SmokeTests : TorchTest
{
    [Fact]
    public void AddsAndReadsBack()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = a + 1;
        Assert.Equal(new float[] { 2, 3, 4, 5 }, b.data<float>());
        var c = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, c.data<float>());
        var e = Assert.Throws<TorchException>(() => a.matmul(torch.ones(3, 5)));
        Assert.Contains("float32[2, 2]", e.Message);
        Assert.Contains("float32[3, 5]", e.Message);
    }
}
