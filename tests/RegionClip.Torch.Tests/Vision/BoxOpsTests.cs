using RegionClip.Torch.Tests.Ops;
using RegionClip.Torch.Vision;

namespace RegionClip.Torch.Tests.Vision;

/// <summary>Box utilities against torchvision.ops 0.14.</summary>
public sealed class BoxOpsTests : TorchTest
{
    private const double Tol = 1e-6;

    [Fact]
    public void BoxIouAndAreaMatchTorchvision()
    {
        using var fx = VisionFixture.Load("boxes.pt");
        using var scope = torch.NewDisposeScope();
        Expect.Close(fx["iou.out"], ops.box_iou(fx["iou.boxes1"], fx["iou.boxes2"]), atol: Tol);
        Expect.Close(fx["area.out"], ops.box_area(fx["area.boxes"]), atol: Tol);
        Expect.Exact(fx["area_int16.out"], ops.box_area(fx["area_int16.boxes"])); // upcast to int32 like torchvision
    }

    [Fact]
    public void ClipBoxesToImageMatchesTorchvision()
    {
        using var fx = VisionFixture.Load("boxes.pt");
        using var scope = torch.NewDisposeScope();
        Expect.Exact(fx["clip.out"], ops.clip_boxes_to_image(fx["clip.boxes"], (60, 100)));
    }

    [Theory]
    [InlineData("xyxy", "xywh", "convert.xyxy", "convert.xywh")]
    [InlineData("xyxy", "cxcywh", "convert.xyxy", "convert.cxcywh")]
    [InlineData("xywh", "xyxy", "convert.xywh", "convert.xyxy")]
    [InlineData("cxcywh", "xyxy", "convert.cxcywh", "convert.xyxy")]
    [InlineData("cxcywh", "xywh", "convert.cxcywh", "convert.cxcywh_to_xywh")]
    [InlineData("xyxy", "xyxy", "convert.xyxy", "convert.xyxy")]
    public void BoxConvertMatchesTorchvision(string from, string to, string input, string expected)
    {
        using var fx = VisionFixture.Load("boxes.pt");
        using var scope = torch.NewDisposeScope();
        Expect.Close(fx[expected], ops.box_convert(fx[input], from, to), atol: 1e-4);
    }

    [Fact]
    public void RemoveSmallBoxesMatchesTorchvision()
    {
        using var fx = VisionFixture.Load("boxes.pt");
        using var scope = torch.NewDisposeScope();
        Expect.Exact(fx["small.keep_3"], ops.remove_small_boxes(fx["small.boxes"], 3.0));
        Expect.Exact(fx["small.keep_1"], ops.remove_small_boxes(fx["small.boxes"], 1.0));
    }

    [Fact]
    public void BadBoxesAreRefused()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Contains("ops.box_iou: boxes2 must be [N, 4] (x1, y1, x2, y2); got float32[3, 5]",
            Assert.Throws<ArgumentException>(() => ops.box_iou(torch.zeros([2, 4]), torch.zeros([3, 5]))).Message);
        Assert.Contains("got float32[4]", Assert.Throws<ArgumentException>(() => ops.box_area(torch.zeros([4]))).Message);
        Assert.Contains("boxes must be [..., 4]", Assert.Throws<ArgumentException>(() => ops.clip_boxes_to_image(torch.zeros([2, 3]), (5, 5))).Message);
        Assert.Equal("out_fmt", Assert.Throws<ArgumentException>(() => ops.box_convert(torch.zeros([1, 4]), "xyxy", "yxyx")).ParamName);
    }
}
