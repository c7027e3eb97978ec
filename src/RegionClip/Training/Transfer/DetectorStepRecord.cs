using System.Text.Json;
using System.Text.Json.Serialization;

namespace RegionClip.Training.Transfer;

/// <summary>
/// One line of train_log.jsonl: the step (1-based, after it), the learning rate it used, its losses (the official
/// names) before the update, the sampled RoIs and how many of them were foreground, and speed.
/// </summary>
public sealed record DetectorStepRecord(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("loss_cls")] double Classification,
    [property: JsonPropertyName("loss_box_reg")] double BoxRegression,
    [property: JsonPropertyName("loss_total")] double Total,
    [property: JsonPropertyName("rois")] long Rois,
    [property: JsonPropertyName("foreground")] long Foreground,
    [property: JsonPropertyName("images")] int Images,
    [property: JsonPropertyName("images_per_second")] double ImagesPerSecond,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    /// <summary>How the log writes a record: the property names above, numbers round-trip exactly.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };
}
