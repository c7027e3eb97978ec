using RegionClip.Checkpoints;

namespace RegionClip.Tests.Modeling;

public sealed class ConceptEmbeddingFileTests : TorchTest
{
    [Fact]
    public void RoundTripsABareTensorAndWidensHalf()
    {
        using var dir = Paths.TempDir();
        using var scope = torch.NewDisposeScope();
        var emb = torch.randn(5, 8);
        ConceptEmbeddingFile.Save(emb.half(), dir.File("coco_5_cls_emb.pth"));
        var back = ConceptEmbeddingFile.Load(dir.File("coco_5_cls_emb.pth"));
        Assert.Equal(ScalarType.Float32, back.dtype);
        Assert.Equal([5L, 8L], back.shape);
        // float16 storage: within half rounding of the original.
        Assert.True((back - emb).abs().max().item<float>() <= 4e-3);
    }

    [Fact]
    public void OtherFilesSayWhatTheyHold()
    {
        var e = Assert.Throws<InvalidDataException>(() => ConceptEmbeddingFile.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth")));
        Assert.Contains("tiny_clip_fp32.pth", e.Message);
        Assert.Contains("state dict", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ConceptEmbeddingFile.Load(Paths.Fixture("clip", "tiny_clip_traced.pt")));
        Assert.Contains("not a torch.save file", e.Message);
        using var dir = Paths.TempDir();
        using var scope = torch.NewDisposeScope();
        torch.save(torch.zeros(3), dir.File("vec.pth"));
        e = Assert.Throws<InvalidDataException>(() => ConceptEmbeddingFile.Load(dir.File("vec.pth")));
        Assert.Contains("2-D", e.Message);
    }
}
