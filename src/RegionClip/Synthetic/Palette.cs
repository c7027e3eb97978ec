using RegionClip.Synthetic.Raster;

namespace RegionClip.Synthetic;

/// <summary>The world's named colours (sRGB, 0..255).</summary>
public static class Palette
{
    public static readonly Rgb Red = new(205, 35, 35);
    public static readonly Rgb DarkRed = new(130, 20, 25);
    public static readonly Rgb Orange = new(240, 135, 25);
    public static readonly Rgb DarkOrange = new(200, 95, 15);
    public static readonly Rgb Yellow = new(248, 218, 45);
    public static readonly Rgb PaleYellow = new(245, 235, 160);
    public static readonly Rgb Gold = new(218, 170, 40);
    public static readonly Rgb DarkGold = new(160, 115, 25);
    public static readonly Rgb Green = new(55, 160, 55);
    public static readonly Rgb DarkGreen = new(25, 95, 40);
    public static readonly Rgb Lime = new(160, 215, 60);
    public static readonly Rgb Blue = new(35, 85, 205);
    public static readonly Rgb SkyBlue = new(135, 195, 240);
    public static readonly Rgb Navy = new(25, 35, 95);
    public static readonly Rgb Cyan = new(60, 210, 220);
    public static readonly Rgb Purple = new(125, 55, 170);
    public static readonly Rgb Pink = new(240, 135, 175);
    public static readonly Rgb Magenta = new(215, 45, 120);
    public static readonly Rgb Brown = new(125, 75, 35);
    public static readonly Rgb LightBrown = new(190, 135, 75);
    public static readonly Rgb Tan = new(215, 185, 125);
    public static readonly Rgb Cream = new(245, 238, 215);
    public static readonly Rgb White = new(245, 245, 242);
    public static readonly Rgb LightGray = new(200, 200, 205);
    public static readonly Rgb Gray = new(125, 125, 130);
    public static readonly Rgb DarkGray = new(60, 60, 65);
    public static readonly Rgb Black = new(22, 22, 25);
}
