using RegionClip.Synthetic.Raster;

namespace RegionClip.Synthetic;

/// <summary>
/// A visible object's ground truth. The box (XYWH, integer pixels) is the tight box of the pixels the
/// object owns: those where at least half of the final colour comes from it
/// (coverage × the transparency of everything drawn above ≥ 0.5). Area counts those pixels.
/// </summary>
public sealed record ObjectAnnotation(int ObjectIndex, int CategoryIndex, int X, int Y, int Width, int Height, int Area, double VisibleFraction)
{
    public Category Category => WorldCategories.All[CategoryIndex];
}

/// <summary>An RGB image (uint8, HWC) and the annotations of the objects it shows.</summary>
public sealed record RenderedScene(int Width, int Height, byte[] Pixels, IReadOnlyList<ObjectAnnotation> Annotations, IReadOnlyList<int> Removed);

/// <summary>
/// Draws scenes and derives their boxes from the drawn coverage. An object that would be less than
/// <see cref="MinVisibleFraction"/> visible (of the pixels it would own alone) or own fewer than
/// <see cref="MinVisiblePixels"/> pixels is removed from the scene entirely — neither drawn nor
/// annotated — so every drawn object has a box; partly hidden objects get the box of what shows.
/// </summary>
public static class SceneRenderer
{
    public const double MinVisibleFraction = 0.35;
    public const int MinVisiblePixels = 24;
    private const float OwnershipThreshold = 0.5f;

    private sealed record RasterPart(Coverage Mask, IPaint Paint);
    private sealed record RasterObject(IReadOnlyList<RasterPart> Parts, Coverage Mask, Affine ToLocal, double Footprint);

    /// <summary>
    /// Renders the scene. With <paramref name="flatColours"/> every object is painted in one colour
    /// (its index in the list), which makes ownership visible in the pixels (used by label renders and tests).
    /// </summary>
    public static RenderedScene Render(Scene scene, IReadOnlyList<Rgb>? flatColours = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        if (flatColours != null && flatColours.Count < scene.Objects.Count)
            throw new ArgumentException($"{flatColours.Count} flat colours for {scene.Objects.Count} objects", nameof(flatColours));
        var rasters = scene.Objects.Select(o => Rasterize(o, scene.Width, scene.Height)).ToArray();

        // Removing an object only uncovers others, so repeat until nothing more falls below the bar.
        var kept = Enumerable.Range(0, rasters.Length).ToList();
        List<ObjectAnnotation> annotations;
        while (true)
        {
            annotations = Visibility(rasters, kept, scene.Width, scene.Height, scene.Objects);
            var failing = annotations.Where(a => a.VisibleFraction < MinVisibleFraction || a.Area < MinVisiblePixels).Select(a => a.ObjectIndex).ToHashSet();
            if (failing.Count == 0) break;
            kept.RemoveAll(failing.Contains);
        }

        var canvas = new Canvas(scene.Width, scene.Height);
        scene.Background.Render(canvas);
        foreach (var i in kept)
        {
            var r = rasters[i];
            if (flatColours != null)
                canvas.Composite(r.Mask, new SolidPaint(flatColours[i]), r.ToLocal, r.Footprint);
            else
                foreach (var part in r.Parts) canvas.Composite(part.Mask, part.Paint, r.ToLocal, r.Footprint);
        }
        var removed = Enumerable.Range(0, rasters.Length).Except(kept).ToArray();
        return new RenderedScene(scene.Width, scene.Height, canvas.ToBytes(), annotations, removed);
    }

    private static RasterObject Rasterize(SceneObject obj, int width, int height)
    {
        var placement = obj.Placement;
        var parts = obj.Category.Build(obj.Style).Select(p => new RasterPart(p.Shape.Rasterize(placement, width, height), p.Paint)).ToArray();
        var mask = parts.Aggregate(Coverage.Empty, (m, p) => Coverage.Union(m, p.Mask));
        // One pixel in local units, for the paints' filtering.
        var footprint = 1 / Math.Sqrt(Math.Abs(placement.Determinant));
        return new RasterObject(parts, mask, placement.Inverse(), footprint);
    }

    /// <summary>Ownership per object, top to bottom, through a running transparency buffer.</summary>
    private static List<ObjectAnnotation> Visibility(RasterObject[] rasters, List<int> kept, int width, int height, IReadOnlyList<SceneObject> objects)
    {
        var transparency = new float[width * height];
        Array.Fill(transparency, 1f);
        var result = new List<ObjectAnnotation>(kept.Count);
        for (int k = kept.Count - 1; k >= 0; k--)
        {
            int index = kept[k];
            var m = rasters[index].Mask;
            int alone = 0, owned = 0, minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
            for (int my = 0; my < m.Height; my++)
            {
                int y = m.Y0 + my;
                for (int mx = 0; mx < m.Width; mx++)
                {
                    var c = m.Values[my * m.Width + mx];
                    if (c <= 0f) continue;
                    int x = m.X0 + mx;
                    int p = y * width + x;
                    if (c >= OwnershipThreshold) alone++;
                    if (c * transparency[p] >= OwnershipThreshold)
                    {
                        owned++;
                        minX = Math.Min(minX, x);
                        maxX = Math.Max(maxX, x);
                        minY = Math.Min(minY, y);
                        maxY = Math.Max(maxY, y);
                    }
                    transparency[p] *= 1 - c;
                }
            }
            var fraction = alone == 0 ? 0 : (double)owned / alone;
            result.Add(owned == 0
                ? new ObjectAnnotation(index, objects[index].CategoryIndex, 0, 0, 0, 0, 0, 0)
                : new ObjectAnnotation(index, objects[index].CategoryIndex, minX, minY, maxX - minX + 1, maxY - minY + 1, owned, fraction));
        }
        result.Reverse();
        return result;
    }
}
