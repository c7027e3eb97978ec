using RegionClip.Data;
using Xunit.Abstractions;

namespace RegionClip.Tests.Data;

/// <summary>
/// Resampling and preprocessing against PIL/torchvision (reference.pt): PIL's resize bit for bit,
/// OpenAI CLIP's _transform, detectron2's ResizeShortestEdge.
/// </summary>
public sealed class ClipPreprocessTests(ITestOutputHelper output) : TorchTest
{
    /// <summary>
    /// CLIP preprocessing vs torchvision, in normalised units. The uint8 resize equals PIL's exactly
    /// and ToTensor/Normalize run the same float32 operations in the same order, so the measured
    /// difference is 0; the bound leaves room for one float32 rounding step only.
    /// </summary>
    private const double ClipTolerance = 1e-6;

    [Theory]
    [InlineData("down")]
    [InlineData("up")]
    [InlineData("mixed")]
    [InlineData("width_only")]
    [InlineData("height_only")]
    [InlineData("strong_down")]
    public void ResizeEqualsPilExactly(string kase)
    {
        using var reference = ImageReference.Load();
        using var scope = torch.NewDisposeScope();
        var size = reference.Longs($"meta.resize.{kase}");
        var source = System.Text.Encoding.UTF8.GetString(reference[$"meta.resize.{kase}.source"].data<byte>());
        var img = ImageIO.Read(ImageReference.File(source));
        foreach (var (filter, key) in new[] { (ResampleFilter.Bicubic, "bicubic"), (ResampleFilter.Bilinear, "bilinear") })
        {
            var resized = PilResize.Resize(img, (int)size[0], (int)size[1], filter);
            var expected = reference[$"resize.{key}.{kase}"];
            Assert.True(resized.equal(expected), $"{key} {kase}: max |diff| {ImageReference.MaxAbsDiff(resized, expected)} levels");
        }
    }

    [Fact]
    public void ResizeToTheSameSizeIsACopy()
    {
        using var scope = torch.NewDisposeScope();
        var img = ImageIO.Read(ImageReference.File("png_rgb.png"));
        var same = PilResize.Resize(img, 30, 40, ResampleFilter.Bicubic);
        Assert.True(same.equal(img));
        same.fill_(0);
        Assert.False(same.equal(img));
    }

    [Fact]
    public void ResizeKeepsConstantImagesConstant()
    {
        // PIL's normalised integer weights sum to 1 within rounding, so flat areas stay flat.
        using var scope = torch.NewDisposeScope();
        var flat = torch.full([7, 9, 3], 173, ScalarType.UInt8);
        foreach (var filter in new[] { ResampleFilter.Bilinear, ResampleFilter.Bicubic })
        foreach (var (h, w) in new[] { (3, 4), (20, 31), (1, 1), (7, 40) })
            Assert.True(PilResize.Resize(flat, h, w, filter).equal(torch.full([h, w, 3], 173, ScalarType.UInt8)), $"{filter} {h}x{w}");
    }

    [Theory]
    [InlineData("rgb")]
    [InlineData("tall")]
    [InlineData("odd")]
    [InlineData("big")]
    public void TransformMatchesOpenAiClip(string kase)
    {
        using var reference = ImageReference.Load();
        using var scope = torch.NewDisposeScope();
        var n = (int)reference.Longs($"meta.clip.{kase}")[0];
        var file = kase switch { "rgb" => "rgb.jpg", "tall" => "clip_tall.png", "odd" => "clip_odd.png", _ => "clip_big.jpg" };
        var x = ClipPreprocess.Transform(ImageIO.Read(ImageReference.File(file)), n);
        Assert.Equal(ScalarType.Float32, x.dtype);
        var diff = ImageReference.MaxAbsDiff(x, reference[$"clip.{kase}"]);
        output.WriteLine($"clip.{kase} ({file}, n_px {n}): max |diff| vs torchvision = {diff:E2} (normalised units)");
        Assert.True(diff <= ClipTolerance, $"clip.{kase}: max |diff| {diff}");
    }

    [Fact]
    public void TransformBatchStacksImagesOfDifferentSizes()
    {
        using var reference = ImageReference.Load();
        using var scope = torch.NewDisposeScope();
        var images = new[] { "rgb.jpg", "clip_tall.png", "clip_odd.png" }.Select(f => ImageIO.Read(ImageReference.File(f))).ToArray();
        var batch = ClipPreprocess.TransformBatch(images, 32);
        Assert.Equal([3L, 3, 32, 32], batch.shape);
        for (int i = 0; i < images.Length; i++)
            Assert.True(batch[i].equal(ClipPreprocess.Transform(images[i], 32)));
        Assert.True(batch[0].equal(reference["clip.rgb"]));
        Assert.True(batch[2].equal(reference["clip.odd"]));
    }

    [Theory]
    [InlineData(48, 64, 32, 32, 42)]   // landscape
    [InlineData(45, 31, 36, 52, 36)]   // portrait, up-scaled
    [InlineData(40, 57, 32, 32, 45)]   // int(45.6) truncates
    [InlineData(224, 224, 224, 224, 224)]
    [InlineData(3, 1000, 224, 224, 74666)]
    public void ShorterSideSizeIsTorchvisions(int h, int w, int size, int newH, int newW) =>
        Assert.Equal((newH, newW), ClipPreprocess.ShorterSideSize(h, w, size));

    [Fact]
    public void CenterCropRoundsHalvesToEvenLikePython()
    {
        using var scope = torch.NewDisposeScope();
        // 5 x 8 image, crop 3: top = round(1.0) = 1, left = round(2.5) = 2 (Python's round), not 3.
        var img = torch.arange(0, 120, dtype: ScalarType.UInt8).view(5, 8, 3);
        var crop = ClipPreprocess.CenterCrop(img, 3);
        Assert.True(crop.equal(img.narrow(0, 1, 3).narrow(1, 2, 3)));
        // 7 x 10, crop 2: top = round(2.5) = 2, left = round(4.0) = 4.
        var img2 = torch.arange(0, 210, dtype: ScalarType.UInt8).view(7, 10, 3);
        Assert.True(ClipPreprocess.CenterCrop(img2, 2).equal(img2.narrow(0, 2, 2).narrow(1, 4, 2)));
    }

    [Fact]
    public void CenterCropPadsSmallImagesWithZerosLikeTorchvision()
    {
        using var scope = torch.NewDisposeScope();
        var img = torch.full([2, 3, 3], 9, ScalarType.UInt8);
        var crop = ClipPreprocess.CenterCrop(img, 4);
        Assert.Equal([4L, 4, 3], crop.shape);
        // Padding: top (4-2)//2 = 1, bottom 1; left (4-3)//2 = 0, right 1.
        Assert.True(crop.narrow(0, 1, 2).narrow(1, 0, 3).equal(img));
        Assert.Equal(9 * 2 * 3 * 3, crop.to(ScalarType.Int64).sum().item<long>());
    }

    [Fact]
    public void NormalizeIsToTensorThenNormalize()
    {
        using var scope = torch.NewDisposeScope();
        var px = torch.tensor(new byte[] { 0, 128, 255, 10, 20, 30 }, 1, 2, 3);
        var x = ClipPreprocess.Normalize(px);
        Assert.Equal([3L, 1, 2], x.shape);
        var v = x.data<float>();
        // channel-major: x[c, 0, j]
        float Expected(byte b, int c) => (b / 255f - ClipPreprocess.Mean[c]) / ClipPreprocess.Std[c];
        Assert.Equal(Expected(0, 0), v[0]);
        Assert.Equal(Expected(10, 0), v[1]);
        Assert.Equal(Expected(128, 1), v[2]);
        Assert.Equal(Expected(30, 2), v[5]);
    }

    [Theory]
    [InlineData("rgb", "rgb.jpg")]
    [InlineData("odd", "clip_odd.png")]
    [InlineData("big", "clip_big.jpg")]
    public void ResizeShortestEdgeMatchesDetectron2(string kase, string file)
    {
        using var reference = ImageReference.Load();
        using var scope = torch.NewDisposeScope();
        var p = reference.Longs($"meta.det.{kase}");
        var resized = ClipPreprocess.ResizeShortestEdge(ImageIO.Read(ImageReference.File(file)), (int)p[0], (int)p[1]);
        var expected = reference[$"det.{kase}"];
        Assert.True(resized.equal(expected), $"det.{kase}: {string.Join("x", resized.shape)} vs {string.Join("x", expected.shape)}");
    }

    [Fact]
    public void ShortestEdgeSizesMatchDetectron2()
    {
        using var reference = ImageReference.Load();
        var rows = reference.Longs("det_sizes");
        Assert.True(rows.Length >= 6 * 40);
        for (int i = 0; i < rows.Length; i += 6)
        {
            var (h, w, s, m) = ((int)rows[i], (int)rows[i + 1], (int)rows[i + 2], (int)rows[i + 3]);
            Assert.Equal(((int)rows[i + 4], (int)rows[i + 5]), ClipPreprocess.ShortestEdgeSize(h, w, s, m));
        }
        Assert.Equal((800, 1067), ClipPreprocess.ShortestEdgeSize(480, 640));
    }

    [Fact]
    public void ArgumentsAreChecked()
    {
        using var scope = torch.NewDisposeScope();
        var floats = torch.zeros([8, 8, 3]);
        var e = Assert.Throws<ArgumentException>(() => ClipPreprocess.Transform(floats, 4));
        Assert.Contains("float32[8, 8, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => PilResize.Resize(torch.zeros([8, 8], ScalarType.UInt8), 4, 4, ResampleFilter.Bilinear));
        Assert.Throws<ArgumentOutOfRangeException>(() => PilResize.Resize(torch.zeros([8, 8, 3], ScalarType.UInt8), 0, 4, ResampleFilter.Bilinear));
        Assert.Throws<ArgumentException>(() => ClipPreprocess.TransformBatch([], 4));
        Assert.Throws<ArgumentException>(() => RegionClip.Torch.Vision.image.resize(torch.zeros([8, 8, 3], ScalarType.UInt8), 4, 4, RegionClip.Torch.nn.InterpolationMode.Nearest));
    }
}
