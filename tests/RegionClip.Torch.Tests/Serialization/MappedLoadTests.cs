namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// torch.load maps a checkpoint copy-on-write and takes stored records in place: what a loaded tensor becomes must
/// never depend on, or reach, the file.
/// </summary>
public class MappedLoadTests : TorchTest
{
    [Fact]
    public void WritingToALoadedTensorLeavesTheFileAsItWas()
    {
        using var dir = Fixtures.TempDir();
        using var scope = torch.NewDisposeScope();   // the indexing and reductions below
        var path = dir.File("w.pt");
        using (var w = torch.arange(1024 * 64).to(ScalarType.Float32)) torch.save(w, path);
        var bytes = File.ReadAllBytes(path);
        using (var loaded = (Tensor)torch.load(path)!)
        {
            loaded.mul_(-1);
            Assert.Equal(-5f, loaded[5].item<float>());
        }
        Assert.Equal(bytes, File.ReadAllBytes(path));
        using var again = (Tensor)torch.load(path)!;
        Assert.Equal(5f, again[5].item<float>());
    }

    [Fact]
    public void ALoadedTensorOutlivesItsFileBeingReplacedOrDeleted()
    {
        using var dir = Fixtures.TempDir();
        using var scope = torch.NewDisposeScope();
        var path = dir.File("r.pt");
        using (var w = torch.full([4096], 3.0)) torch.save(w, path);
        using var loaded = (Tensor)torch.load(path)!;
        using (var w = torch.full([4096], 7.0)) torch.save(w, path);   // atomic replace: a new file under the name
        Assert.Equal(3.0 * 4096, loaded.sum().item<float>());
        File.Delete(path);
        Assert.Equal(3.0 * 4096, loaded.sum().item<float>());
    }
}
