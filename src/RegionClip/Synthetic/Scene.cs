using RegionClip.Synthetic.Raster;

namespace RegionClip.Synthetic;

/// <summary>
/// One object instance: its category (index into <see cref="WorldCategories.All"/>), centre,
/// half-size in pixels (the object's local [-1, 1] spans 2·Size), width stretch, turn, mirror and style.
/// </summary>
public sealed record SceneObject(int CategoryIndex, Vec2 Centre, double Size, double Aspect, double RotationDegrees, bool Mirror, ObjectStyle Style)
{
    public Category Category => WorldCategories.All[CategoryIndex];

    /// <summary>Object-local → canvas.</summary>
    public Affine Placement => Affine.Placement(Centre, Size * Aspect * (Mirror ? -1 : 1), Size, RotationDegrees * Math.PI / 180);
}

/// <summary>A whole image before rendering: size, backdrop and objects in drawing order (last on top).</summary>
public sealed record Scene(int Width, int Height, BackgroundSpec Background, IReadOnlyList<SceneObject> Objects);
