using RegionClip.Common;
using RegionClip.Synthetic;
using RegionClip.Synthetic.Raster;

namespace RegionClip.Tests.Synthetic;

/// <summary>Boxes against the drawn pixels; occlusion rules on hand-built scenes.</summary>
public sealed class SceneRendererTests
{
    private static readonly int Chessboard = WorldCategories.All.ToList().FindIndex(c => c.Name == "chessboard");
    private static readonly Rgb Black = new(0, 0, 0);

    // The chessboard is the square [-0.97, 0.97]² in local units: at size 25 it spans centre ± 24.25 px.
    private static SceneObject Board(double cx, double cy, double size) => new(Chessboard, new Vec2(cx, cy), size, 1, 0, false, ObjectStyle.Neutral);

    [Fact]
    public void AnUnoccludedBoxIsThePixelsAtLeastHalfCovered()
    {
        var scene = new Scene(128, 96, BackgroundSpec.Plain(Black), [Board(40, 40, 25)]);
        var a = Assert.Single(SceneRenderer.Render(scene).Annotations);
        // Edges at 15.75 and 64.25: pixels 15 and 64 are a quarter covered, so the box is [16, 64).
        Assert.Equal((16, 16, 48, 48, 48 * 48), (a.X, a.Y, a.Width, a.Height, a.Area));
        Assert.Equal(1.0, a.VisibleFraction);
    }

    [Fact]
    public void APartlyHiddenObjectKeepsTheBoxOfWhatShows()
    {
        // B (on top) spans x 45.75..94.25; A keeps pixel 45 (B covers a quarter of it, A still gives 3/4 of its colour).
        var scene = new Scene(128, 96, BackgroundSpec.Plain(Black), [Board(40, 40, 25), Board(70, 40, 25)]);
        var r = SceneRenderer.Render(scene);
        Assert.Empty(r.Removed);
        var (a, b) = (r.Annotations[0], r.Annotations[1]);
        Assert.Equal((16, 16, 30, 48, 30 * 48), (a.X, a.Y, a.Width, a.Height, a.Area));
        Assert.Equal(30.0 / 48, a.VisibleFraction, 10);
        Assert.Equal((46, 16, 48, 48), (b.X, b.Y, b.Width, b.Height));
    }

    [Fact]
    public void AMostlyHiddenObjectIsRemovedFromTheImage()
    {
        var hidden = new Scene(128, 96, BackgroundSpec.Plain(Black), [Board(40, 40, 10), Board(40, 40, 25)]);
        var r = SceneRenderer.Render(hidden);
        Assert.Equal([0], r.Removed);
        var a = Assert.Single(r.Annotations);
        Assert.Equal(1, a.ObjectIndex);
        // Not drawn at all: the image is the one without it.
        var without = SceneRenderer.Render(hidden with { Objects = [hidden.Objects[1]] });
        Assert.Equal(without.Pixels, r.Pixels);

        // Shifting B right by 40 % of A's width leaves 19 of A's 48 columns (40 %, above the 35 % bar): kept;
        // by 30 % leaves 14 columns (29 %): removed.
        var partly = SceneRenderer.Render(new Scene(128, 96, BackgroundSpec.Plain(Black), [Board(40, 40, 25), Board(40 + 48 * 0.4, 40, 25)]));
        Assert.Empty(partly.Removed);
        Assert.Equal(19.0 / 48, partly.Annotations[0].VisibleFraction, 10);
        var mostly = SceneRenderer.Render(new Scene(128, 96, BackgroundSpec.Plain(Black), [Board(40, 40, 25), Board(40 + 48 * 0.3, 40, 25)]));
        Assert.Equal([0], mostly.Removed);
    }

    [Fact]
    public void BoxesMatchTheOwnershipReadBackFromThePixels()
    {
        // Objects painted pure red, green and blue on black: each channel of the image is then
        // exactly (to rounding) the share of the pixel's colour that object gives, so ownership
        // (share ≥ 0.5, i.e. byte ≥ 128) can be read from the picture itself.
        Rgb[] flat = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255)];
        int partlyHidden = 0, removed = 0, checkedBoxes = 0;
        for (ulong seed = 0; seed < 30; seed++)
        {
            var scene = SceneGenerator.Sample(new Prng(seed), new SceneOptions(160, 120, 3, 3, 0.06, 0.35));
            scene = scene with { Background = BackgroundSpec.Plain(Black) };
            var r = SceneRenderer.Render(scene, flat);
            removed += r.Removed.Count;
            foreach (var gone in r.Removed)
                Assert.DoesNotContain(r.Pixels.Where((_, i) => i % 3 == gone), v => v != 0);
            foreach (var a in r.Annotations)
            {
                int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1, area = 0;
                for (int y = 0; y < 120; y++)
                    for (int x = 0; x < 160; x++)
                        if (r.Pixels[(y * 160 + x) * 3 + a.ObjectIndex] >= 128)
                        {
                            area++;
                            (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
                        }
                var where = $"seed {seed}, object {a.ObjectIndex} ({a.Category})";
                Assert.True(a.X >= 0 && a.Y >= 0 && a.X + a.Width <= 160 && a.Y + a.Height <= 120, $"{where}: box outside the image");
                Assert.True(a.VisibleFraction >= SceneRenderer.MinVisibleFraction && a.Area >= SceneRenderer.MinVisiblePixels, $"{where}: kept below the bar");
                // Ties at exactly half coverage may round either way: one pixel of slack per side.
                Assert.True(Math.Abs(a.X - minX) <= 1 && Math.Abs(a.Y - minY) <= 1 && Math.Abs(a.X + a.Width - 1 - maxX) <= 1 && Math.Abs(a.Y + a.Height - 1 - maxY) <= 1,
                    $"{where}: annotated box ({a.X}, {a.Y}, {a.Width}, {a.Height}) vs pixels ({minX}, {minY}, {maxX - minX + 1}, {maxY - minY + 1})");
                Assert.True(Math.Abs(a.Area - area) <= Math.Max(3, 0.02 * area), $"{where}: area {a.Area} vs {area} pixels");
                if (a.VisibleFraction < 0.95) partlyHidden++;
                checkedBoxes++;
            }
        }
        // The sample must exercise occlusion both ways.
        Assert.True(partlyHidden > 0 && removed > 0, $"{partlyHidden} partly hidden, {removed} removed in {checkedBoxes} boxes");
    }

    [Fact]
    public void EveryCategoryDrawsInsideItsLocalSquare()
    {
        foreach (var (category, index) in WorldCategories.All.Select((c, i) => (c, i)))
        {
            var obj = new SceneObject(index, new Vec2(50, 50), 40, 1, 0, false, ObjectStyle.Neutral);
            var a = Assert.Single(SceneRenderer.Render(new Scene(100, 100, BackgroundSpec.Plain(Black), [obj])).Annotations);
            Assert.True(a.X >= 10 && a.Y >= 10 && a.X + a.Width <= 90 && a.Y + a.Height <= 90, $"{category}: box ({a.X}, {a.Y}, {a.Width}, {a.Height}) leaves [-1, 1]²");
            Assert.True(Math.Max(a.Width, a.Height) >= 60, $"{category}: only {a.Width}x{a.Height} of an 80 px square");
        }
    }

    [Fact]
    public void TheCategoryTableIsAWellFormedOpenVocabularySplit()
    {
        var all = WorldCategories.All;
        Assert.True(all.Count >= 30);
        Assert.Equal(Enumerable.Range(1, all.Count), all.Select(c => c.Id));
        Assert.Equal(all.Count, all.Select(c => c.Name).Distinct().Count());
        Assert.Equal(all.Count / 3, WorldCategories.Novel.Count());
        Assert.All(all, c => Assert.Equal(c.Name, c.Names[0].Singular));
    }
}
