namespace RegionClip.Cli.Demo;

/// <summary>The demo's stages, in order.</summary>
public enum DemoStage { World, Teacher, Concepts, Rpn, Pretrain, Evaluation, Transfer, Report }

/// <summary>
/// Progress of one step of a stage: <paramref name="Done"/> of <paramref name="Total"/> items
/// (images, steps); <paramref name="Step"/> names the step ("val world", "training"), and
/// <paramref name="Detail"/> is a short live figure such as the loss.
/// </summary>
public sealed record DemoProgress(DemoStage Stage, string Step, long Done, long Total, string? Detail = null, double? ItemsPerSecond = null);
