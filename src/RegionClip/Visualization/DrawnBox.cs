namespace RegionClip.Visualization;

/// <summary>
/// One detection to draw: corners (x1, y1, x2, y2) in the original image's pixels, the class
/// name, its score and the class's palette index (<see cref="Palette.Color"/>).
/// </summary>
public sealed record DrawnBox(float X1, float Y1, float X2, float Y2, string Label, float Score, int ColorIndex)
{
    /// <summary>The caption drawn on the box, e.g. "cat 0.87".</summary>
    public string Caption => float.IsFinite(Score)
        ? $"{Label} {Score.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}"
        : Label;
}
