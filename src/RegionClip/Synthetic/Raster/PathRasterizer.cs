namespace RegionClip.Synthetic.Raster;

/// <summary>
/// Scanline polygon filling with coverage anti-aliasing: each pixel row is cut by
/// <see cref="SubRows"/> sub-scanlines, and on each the inside spans are added to the pixels with
/// their exact horizontal overlap. Coverage is therefore exact across vertical edges and
/// quantised to 1/<see cref="SubRows"/> across horizontal ones (a half-covered pixel reads 0.5 both ways).
/// </summary>
public static class PathRasterizer
{
    public const int SubRows = 4;

    private struct Edge
    {
        public double YTop, YBottom, XAtTop, DxDy;
        public int Direction;
    }

    /// <summary>Coverage of the contours (canvas coordinates), clipped to a width × height canvas.</summary>
    public static Coverage Fill(IReadOnlyList<Vec2[]> contours, FillRule rule, int width, int height)
    {
        var edges = BuildEdges(contours, out var minX, out var minY, out var maxX, out var maxY);
        int x0 = Math.Max(0, (int)Math.Floor(minX)), x1 = Math.Min(width, (int)Math.Ceiling(maxX));
        int y0 = Math.Max(0, (int)Math.Floor(minY)), y1 = Math.Min(height, (int)Math.Ceiling(maxY));
        if (edges.Length == 0 || x1 <= x0 || y1 <= y0) return Coverage.Empty;

        var mask = new Coverage(x0, y0, x1 - x0, y1 - y0);
        var crossX = new double[edges.Length];
        var crossDir = new int[edges.Length];
        const float weight = 1f / SubRows;
        // Active edge list: edges (sorted by top) join when the scanline reaches them and leave when it passes their bottom.
        var active = new int[edges.Length];
        int activeCount = 0, nextEdge = 0;
        for (int y = y0; y < y1; y++)
        {
            int rowStart = (y - y0) * mask.Width;
            for (int s = 0; s < SubRows; s++)
            {
                double sy = y + (s + 0.5) / SubRows;
                while (nextEdge < edges.Length && edges[nextEdge].YTop <= sy) active[activeCount++] = nextEdge++;
                int kept = 0;
                for (int k = 0; k < activeCount; k++)
                    if (edges[active[k]].YBottom > sy) active[kept++] = active[k];
                activeCount = kept;
                int n = 0;
                for (int k = 0; k < activeCount; k++)
                {
                    ref var edge = ref edges[active[k]];
                    var x = edge.XAtTop + (sy - edge.YTop) * edge.DxDy;
                    // Insertion keeps the crossings sorted by x (a few per scanline).
                    int slot = n++;
                    while (slot > 0 && crossX[slot - 1] > x)
                    {
                        crossX[slot] = crossX[slot - 1];
                        crossDir[slot] = crossDir[slot - 1];
                        slot--;
                    }
                    crossX[slot] = x;
                    crossDir[slot] = edge.Direction;
                }
                int winding = 0;
                double spanStart = 0;
                for (int k = 0; k < n; k++)
                {
                    bool wasInside = Inside(winding, rule);
                    winding += rule == FillRule.EvenOdd ? 1 : crossDir[k];
                    bool isInside = Inside(winding, rule);
                    if (!wasInside && isInside) spanStart = crossX[k];
                    else if (wasInside && !isInside) AddSpan(mask.Values, rowStart, x0, x1, spanStart, crossX[k], weight);
                }
            }
        }
        for (int i = 0; i < mask.Values.Length; i++)
            if (mask.Values[i] > 1f) mask.Values[i] = 1f;
        return mask;
    }

    private static bool Inside(int winding, FillRule rule) => rule == FillRule.EvenOdd ? (winding & 1) != 0 : winding != 0;

    /// <summary>Adds the overlap of [xa, xb) with each pixel of the row, times the sub-scanline weight.</summary>
    private static void AddSpan(float[] values, int rowStart, int x0, int x1, double xa, double xb, float weight)
    {
        if (xa < x0) xa = x0;
        if (xb > x1) xb = x1;
        if (xb <= xa) return;
        int ia = (int)Math.Floor(xa), ib = (int)Math.Floor(xb);
        int offset = rowStart - x0;
        if (ia == ib)
        {
            values[offset + ia] += (float)(xb - xa) * weight;
            return;
        }
        values[offset + ia] += (float)(ia + 1 - xa) * weight;
        for (int i = ia + 1; i < ib; i++) values[offset + i] += weight;
        if (ib < x1) values[offset + ib] += (float)(xb - ib) * weight;
    }

    private static Edge[] BuildEdges(IReadOnlyList<Vec2[]> contours, out double minX, out double minY, out double maxX, out double maxY)
    {
        minX = minY = double.PositiveInfinity;
        maxX = maxY = double.NegativeInfinity;
        var edges = new List<Edge>();
        foreach (var contour in contours)
        {
            for (int i = 0; i < contour.Length; i++)
            {
                var a = contour[i];
                var b = contour[(i + 1) % contour.Length];
                if (!double.IsFinite(a.X) || !double.IsFinite(a.Y))
                    throw new ArgumentException($"contour point {i} is not finite ({a.X}, {a.Y})", nameof(contours));
                minX = Math.Min(minX, a.X);
                maxX = Math.Max(maxX, a.X);
                minY = Math.Min(minY, a.Y);
                maxY = Math.Max(maxY, a.Y);
                if (a.Y == b.Y) continue; // horizontal edges never cross a scanline
                var (top, bottom, dir) = a.Y < b.Y ? (a, b, 1) : (b, a, -1);
                edges.Add(new Edge { YTop = top.Y, YBottom = bottom.Y, XAtTop = top.X, DxDy = (bottom.X - top.X) / (bottom.Y - top.Y), Direction = dir });
            }
        }
        var array = edges.ToArray();
        Array.Sort(array, static (p, q) => p.YTop.CompareTo(q.YTop));
        return array;
    }
}
