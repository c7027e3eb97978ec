using System.Text.RegularExpressions;
using RegionClip.Visualization;

namespace RegionClip.Tests.Visualization;

public sealed class PaletteTests
{
    [Fact]
    public void ColoursAreDistinctHexAndWrapAround()
    {
        var colours = Enumerable.Range(0, Palette.Count).Select(Palette.Color).ToList();
        Assert.All(colours, c => Assert.Matches(new Regex("^#[0-9a-f]{6}$"), c));
        Assert.Equal(Palette.Count, colours.Distinct().Count());
        Assert.True(Palette.Count >= 12, "too few colours to tell classes apart");
        Assert.Equal(Palette.Color(3), Palette.Color(3 + Palette.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => Palette.Color(-1));
    }

    [Fact]
    public void NeighbouringColoursAreFarApart()
    {
        // The first classes are the ones most often on screen together: no two of the first eight
        // may be closer than 80 in RGB distance.
        var rgb = Enumerable.Range(0, 8).Select(i => Convert.FromHexString(Palette.Color(i)[1..])).ToList();
        for (int i = 0; i < rgb.Count; i++)
            for (int j = i + 1; j < rgb.Count; j++)
            {
                double d = Math.Sqrt(Enumerable.Range(0, 3).Sum(k => Math.Pow(rgb[i][k] - rgb[j][k], 2)));
                Assert.True(d >= 80, $"colours {i} {Palette.Color(i)} and {j} {Palette.Color(j)} are only {d:F0} apart");
            }
    }

    [Theory]
    [InlineData("#000000", "#ffffff")]
    [InlineData("#ffffff", "#000000")]
    [InlineData("#ffff00", "#000000")] // yellow: light
    [InlineData("#0000ff", "#ffffff")] // blue: dark
    [InlineData("#808080", "#000000")] // mid gray: luminance 0.216 > 0.179
    public void TextColourContrastsWithBackground(string background, string expected) =>
        Assert.Equal(expected, Palette.TextColorOn(background));

    [Theory]
    [InlineData("red")]
    [InlineData("#12345")]
    [InlineData("#12345g")]
    public void TextColourRejectsMalformedColours(string background) =>
        Assert.Throws<ArgumentException>(() => Palette.TextColorOn(background));
}
