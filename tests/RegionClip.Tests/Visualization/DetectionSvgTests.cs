using RegionClip.Torch.Vision;
using RegionClip.Visualization;

namespace RegionClip.Tests.Visualization;

public sealed class DetectionSvgTests : TorchTest
{
    // Any bytes do for the structure tests: the SVG embeds them without decoding.
    private static readonly EmbeddedImage Image = new([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], "image/jpeg", 640, 480);

    private static readonly DrawnBox[] Boxes =
    [
        new(10.5f, 120.25f, 110.5f, 320.25f, "cat", 0.87f, 0),
        new(600, 0, 639, 479, "dog", 0.42f, 1),
        new(50, 60, 70, 90, "cat", 0.31f, 0),
    ];

    [Fact]
    public void DrawsOneRectangleAndCaptionPerBoxInImageCoordinates()
    {
        var doc = SvgDom.Parse(DetectionSvg.Render(Image, Boxes, "photo.jpg"));
        var svg = doc.DocumentElement!;
        Assert.Equal("0 0 640 480", svg.GetAttribute("viewBox"));
        Assert.Equal("photo.jpg", SvgDom.Select(doc, "/s:svg/s:title").Single().InnerText);

        var rects = SvgDom.Select(doc, "//s:rect[@class='box']");
        var labels = SvgDom.Select(doc, "//s:text[@class='label']");
        Assert.Equal(3, rects.Count);
        Assert.Equal(3, labels.Count);
        // Drawn lowest score first: the best caption is painted last, on top.
        Assert.Equal(["cat 0.31", "dog 0.42", "cat 0.87"], labels.Select(l => l.InnerText));
        var best = rects[2];
        Assert.Equal(10.5, SvgDom.Num(best, "x"));
        Assert.Equal(120.25, SvgDom.Num(best, "y"));
        Assert.Equal(100, SvgDom.Num(best, "width"));
        Assert.Equal(200, SvgDom.Num(best, "height"));
        Assert.Equal(Palette.Color(0), best.GetAttribute("stroke"));
        Assert.Equal(Palette.Color(1), rects[1].GetAttribute("stroke"));
        Assert.Equal(Palette.Color(0), rects[0].GetAttribute("stroke"));
    }

    [Fact]
    public void EmbedsTheImageBytesAsADataUri()
    {
        var doc = SvgDom.Parse(DetectionSvg.Render(Image, Boxes));
        var image = SvgDom.Select(doc, "/s:svg/s:image").Single();
        var href = image.GetAttribute("href", "http://www.w3.org/1999/xlink");
        const string prefix = "data:image/jpeg;base64,";
        Assert.StartsWith(prefix, href);
        Assert.Equal(Image.Bytes, Convert.FromBase64String(href[prefix.Length..]));
        Assert.Equal(640, SvgDom.Num(image, "width"));
        Assert.Equal(480, SvgDom.Num(image, "height"));
    }

    [Fact]
    public void CaptionsStayInsideThePicture()
    {
        // A box touching the top edge (no room above) and one at the right edge (caption would run off).
        var doc = SvgDom.Parse(DetectionSvg.Render(Image, Boxes));
        foreach (var background in SvgDom.Select(doc, "//s:rect[@class='label-background']"))
        {
            double x = SvgDom.Num(background, "x"), y = SvgDom.Num(background, "y");
            Assert.InRange(x, 0, 640 - SvgDom.Num(background, "width"));
            Assert.InRange(y, 0, 480 - SvgDom.Num(background, "height"));
        }
        var dog = SvgDom.Select(doc, "//s:g[@class='detection'][s:text='dog 0.42']/s:rect[@class='label-background']").Single();
        Assert.Equal(0, SvgDom.Num(dog, "y")); // inside the box, at its top
        Assert.True(SvgDom.Num(dog, "x") < 600, "the caption of a box at the right edge is moved left");
        var cat = SvgDom.Select(doc, "//s:g[@class='detection'][s:text='cat 0.87']/s:rect[@class='label-background']").Single();
        Assert.Equal(120.25, SvgDom.Num(cat, "y") + SvgDom.Num(cat, "height"), 3); // above the box, touching it
    }

    [Fact]
    public void EscapesLabelsAndTitles()
    {
        var markup = DetectionSvg.Render(Image, [new DrawnBox(1, 2, 3, 4, "<b>&\"fish\"</b>", 0.5f, 2)], "a <title> & more");
        Assert.Contains("&lt;b&gt;&amp;", markup);
        var doc = SvgDom.Parse(markup);
        Assert.Equal("<b>&\"fish\"</b> 0.50", SvgDom.Select(doc, "//s:text[@class='label']").Single().InnerText);
        Assert.Equal("a <title> & more", SvgDom.Select(doc, "/s:svg/s:title").Single().InnerText);
    }

    [Fact]
    public void CharactersXmlCannotCarryBecomeReplacementCharacters()
    {
        var doc = SvgDom.Parse(DetectionSvg.Render(Image, [new DrawnBox(1, 2, 3, 4, "a\u0001b\uD800c", 0.5f, 0)]));
        Assert.Equal("a\uFFFDb\uFFFDc 0.50", SvgDom.Select(doc, "//s:text[@class='label']").Single().InnerText);
    }

    [Fact]
    public void LineWidthAndTextGrowWithTheImage()
    {
        static (double Stroke, double Font) Style(int w, int h)
        {
            var doc = SvgDom.Parse(DetectionSvg.Render(Image with { Width = w, Height = h }, [new DrawnBox(1, 2, 3, 4, "x", 1, 0)]));
            return (SvgDom.Num(SvgDom.Select(doc, "//s:rect[@class='box']").Single(), "stroke-width"),
                    SvgDom.Num(SvgDom.Select(doc, "/s:svg/s:g").Single(), "font-size"));
        }
        var small = Style(160, 120);
        var large = Style(1216, 800);
        Assert.True(large.Stroke > 2 * small.Stroke, $"{large} vs {small}");
        Assert.True(large.Font > 2 * small.Font, $"{large} vs {small}");
    }

    [Fact]
    public void NoBoxesIsJustThePicture()
    {
        var doc = SvgDom.Parse(DetectionSvg.Render(Image, []));
        Assert.Single(SvgDom.Select(doc, "/s:svg/s:image"));
        Assert.Empty(SvgDom.Select(doc, "//s:rect"));
    }

    [Theory]
    [InlineData(float.NaN, 0, 1, 1, "box 0 (cat) has a non-finite corner")]
    [InlineData(0, 0, float.PositiveInfinity, 1, "box 0 (cat) has a non-finite corner")]
    [InlineData(5, 0, 4, 1, "box 0 (cat) has x2 < x1")]
    [InlineData(0, 5, 1, 4, "box 0 (cat) has x2 < x1 or y2 < y1")]
    public void RejectsBadBoxesNamingThem(float x1, float y1, float x2, float y2, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DetectionSvg.Render(Image, [new DrawnBox(x1, y1, x2, y2, "cat", 0.5f, 0)]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void RejectsBadImagesAndColours()
    {
        Assert.Contains("image/gif", Assert.Throws<ArgumentException>(() => DetectionSvg.Render(Image with { MimeType = "image/gif" }, [])).Message);
        Assert.Contains("0x480", Assert.Throws<ArgumentException>(() => DetectionSvg.Render(Image with { Width = 0 }, [])).Message);
        Assert.Contains("no bytes", Assert.Throws<ArgumentException>(() => DetectionSvg.Render(Image with { Bytes = [] }, [])).Message);
        Assert.Contains("negative colour index", Assert.Throws<ArgumentException>(() => DetectionSvg.Render(Image, [new DrawnBox(0, 0, 1, 1, "a", 1, -2)])).Message);
    }

    [Fact]
    public void WriteIsAtomicAndEqualsRender()
    {
        using var dir = Paths.TempDir();
        var path = Path.Combine(dir.FullName, "nested", "a.svg");
        DetectionSvg.Write(path, Image, Boxes, "t");
        Assert.Equal(DetectionSvg.Render(Image, Boxes, "t"), File.ReadAllText(path));
        Assert.Equal(["a.svg"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void FromPixelsEncodesAJpegAndKeepsTheOriginalCoordinates()
    {
        using var scope = torch.NewDisposeScope();
        var pixels = image.read(Paths.Fixture("images", "clip_big.jpg")); // 160x120
        var full = EmbeddedImage.FromPixels(pixels);
        Assert.Equal(("image/jpeg", 160, 120), (full.MimeType, full.Width, full.Height));
        Assert.Equal([120L, 160, 3], image.decode(full.Bytes).shape);

        // Shrunk to a longest side of 40: the bytes hold 40x30, the coordinate space stays 160x120.
        var small = EmbeddedImage.FromPixels(pixels, maxSide: 40);
        Assert.Equal((160, 120), (small.Width, small.Height));
        Assert.Equal([30L, 40, 3], image.decode(small.Bytes).shape);
        Assert.True(small.Bytes.Length < full.Bytes.Length);

        Assert.Throws<ArgumentException>(() => EmbeddedImage.FromPixels(torch.zeros(4, 4)));
    }
}
