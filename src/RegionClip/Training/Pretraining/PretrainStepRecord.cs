using System.Text.Json;
using System.Text.Json.Serialization;

namespace RegionClip.Training.Pretraining;

/// <summary>
/// One line of pretrain_log.jsonl: the step (1-based, after it), the learning rate it used, its losses
/// (the official names) before the update, the regions the teacher kept out of those sampled, and speed.
/// </summary>
public sealed record PretrainStepRecord(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("loss_img_txt_level")] double ImageText,
    [property: JsonPropertyName("loss_region_distill")] double Distillation,
    [property: JsonPropertyName("loss_concept_contrastive")] double Contrastive,
    [property: JsonPropertyName("loss_total")] double Total,
    [property: JsonPropertyName("kept_regions")] long KeptRegions,
    [property: JsonPropertyName("regions")] long Regions,
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
