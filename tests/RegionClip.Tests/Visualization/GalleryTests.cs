using RegionClip.Visualization;

namespace RegionClip.Tests.Visualization;

public sealed class GalleryTests
{
    private static readonly EmbeddedImage Picture = new([1, 2, 3], "image/png", 32, 24);

    [Fact]
    public void LinksEveryPictureRelativelyAndTheLinksResolve()
    {
        using var dir = Paths.TempDir();
        var out_ = Path.Combine(dir.FullName, "out");
        // Names that need care in a URL: a space, '#', '%' and a sub-folder.
        var names = new[] { "a.svg", "b c#1.svg", Path.Combine("sub", "50%.svg") };
        var items = new List<GalleryItem>();
        foreach (var name in names)
        {
            var svg = Path.Combine(out_, name);
            DetectionSvg.Write(svg, Picture, [new DrawnBox(1, 1, 5, 5, "cat", 0.9f, 0)]);
            items.Add(GalleryItem.FromBoxes(name, svg, [new DrawnBox(1, 1, 5, 5, "cat", 0.9f, 0)]));
        }
        var index = Path.Combine(out_, "index.html");
        Gallery.Write(index, items, "Detections");

        var doc = SvgDom.Parse(File.ReadAllText(index));
        var images = SvgDom.Select(doc, "//h:figure//h:img");
        var links = SvgDom.Select(doc, "//h:figure/h:a");
        Assert.Equal(3, images.Count);
        Assert.Equal(3, links.Count);
        foreach (var (img, link) in images.Zip(links))
        {
            var src = img.GetAttribute("src");
            Assert.Equal(src, link.GetAttribute("href"));
            Assert.False(Uri.TryCreate(src, UriKind.Absolute, out _), $"{src} is absolute");
            Assert.DoesNotContain(' ', src);
            Assert.DoesNotContain('#', src);
            // Resolve as a browser would: percent-decoded, against the page's folder.
            Assert.False(src.StartsWith('/'), $"{src} is rooted");
            var target = Path.Combine(out_, Uri.UnescapeDataString(src));
            Assert.True(File.Exists(target), $"{src} resolves to {target}, which does not exist");
        }
        Assert.Equal("b c#1.svg", images[1].GetAttribute("alt"));
        Assert.Equal("Detections", SvgDom.Select(doc, "//h:title").Single().InnerText);
    }

    [Fact]
    public void CaptionsShowNameCountTopLabelsAndErrors()
    {
        using var dir = Paths.TempDir();
        var index = dir.File("index.html");
        var boxes = new DrawnBox[]
        {
            new(0, 0, 1, 1, "dog", 0.40f, 1), new(0, 0, 1, 1, "cat", 0.90f, 0), new(0, 0, 1, 1, "cat", 0.95f, 0),
            new(0, 0, 1, 1, "<bird>", 0.50f, 2), new(0, 0, 1, 1, "fish", 0.10f, 3),
        };
        var items = new[]
        {
            GalleryItem.FromBoxes("one & two.jpg", dir.File("one.svg"), boxes),
            GalleryItem.Failed("broken.jpg", "broken.jpg is a corrupt or truncated JPEG image"),
        };
        Gallery.Write(index, items, "T");
        var doc = SvgDom.Parse(File.ReadAllText(index));

        var figures = SvgDom.Select(doc, "//h:figure");
        Assert.Equal(2, figures.Count);
        Assert.Equal("one & two.jpg", figures[0].SelectSingleNode("*//*[@class='name']")!.InnerText);
        Assert.Equal("5 detections", figures[0].SelectSingleNode("*//*[@class='count']")!.InnerText);
        // Distinct labels by their best score, best first, three of them.
        Assert.Equal("cat 0.95, <bird> 0.50, dog 0.40", figures[0].SelectSingleNode("*//*[@class='labels']")!.InnerText);

        Assert.Empty(figures[1].GetElementsByTagName("img"));
        Assert.Equal("broken.jpg is a corrupt or truncated JPEG image", figures[1].SelectSingleNode("*//*[@class='error']")!.InnerText);
        Assert.Equal("2 images, 5 detections, 1 failed", SvgDom.Select(doc, "//h:p[@class='summary']").Single().InnerText);
    }

    [Fact]
    public void NonVoidElementsAreNeverSelfClosed()
    {
        // "<div/>" opens a div in HTML: an empty grid or caption must still be closed explicitly.
        using var dir = Paths.TempDir();
        var html = Gallery.Render(dir.File("index.html"), [new GalleryItem("x", dir.File("x.svg"), 0, [])], "T");
        Assert.DoesNotMatch(@"<(?!img|meta)[a-z]+[^>]*/>", html);
        var empty = Gallery.Render(dir.File("index.html"), [], "T");
        Assert.Contains("<div class=\"grid\"></div>", empty);
        Assert.StartsWith("<!DOCTYPE html>", empty);
    }

    [Fact]
    public void RejectsItemsWithNeitherPictureNorError()
    {
        var e = Assert.Throws<ArgumentException>(() => Gallery.Render("index.html", [new GalleryItem("x.jpg", null, 0, [])], "T"));
        Assert.Contains("gallery item 0 (x.jpg)", e.Message);
    }
}
