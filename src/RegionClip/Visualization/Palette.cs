using System.Globalization;

namespace RegionClip.Visualization;

/// <summary>
/// A fixed palette of colours that stay apart from each other and from typical photo content,
/// one per class index; indices past the end wrap around.
/// </summary>
public static class Palette
{
    // Ordered so that the first few classes (the most common case) differ in hue the most.
    private static readonly string[] Colors =
    [
        "#e32636", "#1e6fd9", "#24a148", "#f59e0b", "#9b3fc8",
        "#00bfcc", "#e0489e", "#7a8b0f", "#8d5524", "#2b3a8f",
        "#84cc16", "#0d7a6e", "#f472b6", "#d4a900", "#5f6b73",
        "#9f1d48", "#60b5f0", "#b197e0", "#f26d4f", "#3f6e2a",
    ];

    /// <summary>How many distinct colours there are before they repeat.</summary>
    public static int Count => Colors.Length;

    /// <summary>The colour of class <paramref name="index"/> as "#rrggbb".</summary>
    public static string Color(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return Colors[index % Colors.Length];
    }

    /// <summary>Black or white, whichever reads better on <paramref name="background"/> ("#rrggbb").</summary>
    public static string TextColorOn(string background)
    {
        ArgumentNullException.ThrowIfNull(background);
        if (background.Length != 7 || background[0] != '#' ||
            !int.TryParse(background.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb))
            throw new ArgumentException($"expected a colour like \"#12ab9f\", got \"{background}\"", nameof(background));
        double luminance = 0.2126 * Linear(rgb >> 16) + 0.7152 * Linear((rgb >> 8) & 0xff) + 0.0722 * Linear(rgb & 0xff);
        // Contrast against white is (1.05)/(L+0.05), against black (L+0.05)/0.05; they are equal at L ≈ 0.179.
        return luminance > 0.179 ? "#000000" : "#ffffff";
    }

    // sRGB channel to linear light (WCAG relative luminance).
    private static double Linear(int channel)
    {
        double c = channel / 255.0;
        return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    }
}
