using RegionClip.Common;
using RegionClip.Synthetic.Raster;

namespace RegionClip.Synthetic;

/// <summary>How scenes are laid out.</summary>
/// <param name="MinSizeFraction">Smallest object half-size as a fraction of the image's shorter side.</param>
/// <param name="MaxSizeFraction">Largest object half-size, likewise.</param>
public sealed record SceneOptions(int Width = 640, int Height = 480, int MinObjects = 2, int MaxObjects = 7,
    double MinSizeFraction = 0.025, double MaxSizeFraction = 0.3)
{
    /// <summary>Indices into <see cref="WorldCategories.All"/> that objects are drawn from (null: all, uniformly).</summary>
    public IReadOnlyList<int>? Categories { get; init; }

    internal void Validate()
    {
        if (Width < 32 || Height < 32 || Width > 8192 || Height > 8192)
            throw new ArgumentOutOfRangeException(nameof(Width), $"image size must be between 32x32 and 8192x8192, got {Width}x{Height}");
        if (MinObjects < 1 || MaxObjects < MinObjects)
            throw new ArgumentOutOfRangeException(nameof(MinObjects), $"objects per image must satisfy 1 <= min <= max, got {MinObjects}..{MaxObjects}");
        if (MinSizeFraction <= 0 || MaxSizeFraction < MinSizeFraction || MaxSizeFraction > 0.5)
            throw new ArgumentOutOfRangeException(nameof(MinSizeFraction), $"object size fractions must satisfy 0 < min <= max <= 0.5, got {MinSizeFraction}..{MaxSizeFraction}");
        if (Categories is { } c && (c.Count == 0 || c.Any(i => i < 0 || i >= WorldCategories.All.Count)))
            throw new ArgumentOutOfRangeException(nameof(Categories), $"scene categories must be a non-empty list of indices in 0..{WorldCategories.All.Count - 1}");
    }
}

/// <summary>Samples scenes: a cluttered backdrop and objects of every size, some overlapping.</summary>
public static class SceneGenerator
{
    private const int PlacementTries = 12;
    private const double OverlapChance = 0.3;

    /// <summary>A random scene; with <paramref name="singleObject"/> exactly one medium-to-large object.</summary>
    public static Scene Sample(Prng rng, SceneOptions options, bool singleObject = false)
    {
        options.Validate();
        var background = BackgroundSpec.Sample(rng, options.Width, options.Height);
        int count = singleObject ? 1 : rng.Between(options.MinObjects, options.MaxObjects);
        var shortSide = Math.Min(options.Width, options.Height);
        var objects = new List<(SceneObject obj, double depth)>();
        for (int i = 0; i < count; i++)
        {
            int category = options.Categories is { } allowed ? allowed[rng.NextInt(allowed.Count)] : rng.NextInt(WorldCategories.All.Count);
            var style = ObjectStyle.Sample(rng);
            var rotation = rng.Uniform(-1, 1) * WorldCategories.All[category].MaxRotationDegrees;
            var aspect = rng.Uniform(0.85, 1.18);
            var mirror = rng.Chance(0.5);
            double size = 0;
            Vec2 centre = default;
            // Some objects are put against an earlier one on purpose, so partial occlusion is common.
            bool overlap = objects.Count > 0 && rng.Chance(OverlapChance);
            for (int attempt = 0; attempt < PlacementTries; attempt++)
            {
                size = singleObject
                    ? rng.Uniform(0.16, 0.4) * shortSide
                    : Math.Max(6, rng.LogUniform(options.MinSizeFraction * shortSide, options.MaxSizeFraction * shortSide));
                var extent = size * Math.Max(aspect, 1);
                // Up to ~30% of an object may fall outside the frame; single objects stay inside.
                var margin = singleObject ? extent : extent * 0.4;
                if (overlap)
                {
                    var other = rng.Pick(objects).obj;
                    var distance = (other.Size * Math.Max(other.Aspect, 1) + extent) * rng.Uniform(0.45, 0.9);
                    var angle = rng.Uniform(0, 2 * Math.PI);
                    centre = other.Centre + new Vec2(distance * Math.Cos(angle), distance * Math.Sin(angle));
                    if (centre.X >= margin && centre.X <= options.Width - margin && centre.Y >= margin && centre.Y <= options.Height - margin) break;
                    continue;
                }
                centre = new Vec2(Uniform(rng, margin, options.Width - margin), Uniform(rng, margin, options.Height - margin));
                if (!CoversTooMuch(objects.Select(o => o.obj), centre, extent)) break;
            }
            // An overlap that found no place in the frame falls back to anywhere.
            if (overlap && (centre.X < 0 || centre.X > options.Width || centre.Y < 0 || centre.Y > options.Height))
                centre = new Vec2(rng.Uniform(0, options.Width), rng.Uniform(0, options.Height));
            var obj = new SceneObject(category, centre, size, aspect, rotation, mirror, style);
            // Mostly larger objects behind smaller ones, as in photos; the jitter lets some small ones hide.
            objects.Add((obj, size * rng.Uniform(0.6, 1.6)));
        }
        var ordered = objects.OrderByDescending(o => o.depth).Select(o => o.obj).ToList();
        return new Scene(options.Width, options.Height, background, ordered);
    }

    private static double Uniform(Prng rng, double lo, double hi) => hi > lo ? rng.Uniform(lo, hi) : (lo + hi) / 2;

    /// <summary>True when the new object's square would hide more than half of a placed object's square, or the reverse.</summary>
    private static bool CoversTooMuch(IEnumerable<SceneObject> placed, Vec2 centre, double extent)
    {
        foreach (var o in placed)
        {
            var e = o.Size * Math.Max(o.Aspect, 1);
            var ox = Math.Min(centre.X + extent, o.Centre.X + e) - Math.Max(centre.X - extent, o.Centre.X - e);
            var oy = Math.Min(centre.Y + extent, o.Centre.Y + e) - Math.Max(centre.Y - extent, o.Centre.Y - e);
            if (ox <= 0 || oy <= 0) continue;
            var smaller = 4 * Math.Min(extent, e) * Math.Min(extent, e);
            if (ox * oy > 0.5 * smaller) return true;
        }
        return false;
    }
}
