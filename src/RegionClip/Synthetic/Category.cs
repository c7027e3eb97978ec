namespace RegionClip.Synthetic;

/// <summary>A way to name a category: the singular and plural phrase ("slice of pizza", "slices of pizza").</summary>
public readonly record struct NameForm(string Singular, string Plural);

/// <summary>
/// One kind of object in the synthetic world: COCO id, canonical name, the names captions may use
/// (the first is the canonical one), and how an instance is drawn.
/// </summary>
/// <param name="MaxRotationDegrees">Instances turn by up to ± this much (180: any orientation).</param>
/// <param name="Build">The parts of an instance, in drawing order, for its style.</param>
public sealed record Category(int Id, string Name, IReadOnlyList<NameForm> Names, double MaxRotationDegrees, Func<ObjectStyle, IReadOnlyList<ObjectPart>> Build)
{
    /// <summary>Novel categories never have boxes in detector training (the open-vocabulary split).</summary>
    public bool IsNovel { get; init; }

    public override string ToString() => Name;
}
