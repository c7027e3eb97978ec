using System.Globalization;

namespace RegionClip.Visualization;

/// <summary>
/// A linear axis over a data range, widened to "nice" tick values (1, 2 or 5 times a power of ten)
/// so that every data point lies inside and the ticks read well.
/// </summary>
internal sealed class AxisScale
{
    public double Min { get; }
    public double Max { get; }
    public double Step { get; }

    /// <summary>Intervals between ticks (ticks = intervals + 1).</summary>
    public int Intervals { get; }

    public AxisScale(double dataMin, double dataMax, int targetTicks = 5)
    {
        if (!double.IsFinite(dataMin) || !double.IsFinite(dataMax)) (dataMin, dataMax) = (0, 1);
        if (dataMax < dataMin) (dataMin, dataMax) = (dataMax, dataMin);
        // Beyond this the span itself could overflow; such data is clamped (the plot drops it earlier).
        dataMin = Math.Clamp(dataMin, -1e300, 1e300);
        dataMax = Math.Clamp(dataMax, -1e300, 1e300);
        if (dataMax == dataMin)
        {
            // One value: centre it in a small range of its own size (or 0..1 for zero).
            double half = dataMin == 0 ? 0.5 : Math.Abs(dataMin) * 0.1;
            (dataMin, dataMax) = (dataMin - half, dataMax + half);
        }
        Step = NiceStep((dataMax - dataMin) / Math.Max(1, targetTicks));
        Min = Math.Floor(dataMin / Step) * Step;
        Max = Math.Ceiling(dataMax / Step) * Step;
        double intervals = Math.Round((Max - Min) / Step);
        if (Step > 0 && double.IsFinite(Min) && double.IsFinite(Max) && Max > Min && intervals is >= 1 and <= 1000)
        {
            Intervals = (int)intervals;
            return;
        }
        // Subnormal spans and the like: the plain data limits as the only two ticks.
        Min = dataMin;
        Max = dataMax > dataMin ? dataMax : dataMin + Math.Max(1, Math.Abs(dataMin) * 1e-6);
        Step = Max - Min;
        Intervals = 1;
    }

    /// <summary>The tick values, each computed from its index (no accumulated rounding).</summary>
    public IEnumerable<double> Ticks()
    {
        for (int i = 0; i <= Intervals; i++) yield return Min + i * Step;
    }

    /// <summary>Position of <paramref name="value"/> on a pixel span from <paramref name="from"/> (at Min) to <paramref name="to"/> (at Max).</summary>
    public double Map(double value, double from, double to) => from + (value - Min) / (Max - Min) * (to - from);

    /// <summary>Tick text with as many decimals as the step needs.</summary>
    public string Format(double value)
    {
        if (Math.Abs(value) < Step * 1e-9) value = 0;
        double largest = Math.Max(Math.Abs(Min), Math.Abs(Max));
        if (largest >= 1e7 || Step < 1e-6) return value.ToString("0.##E+0", CultureInfo.InvariantCulture);
        int decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(Step) + 1e-9));
        return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    private static double NiceStep(double raw)
    {
        if (!(raw > 0) || !double.IsFinite(raw)) return 1;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double fraction = raw / magnitude;
        double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
        return nice * magnitude;
    }
}
