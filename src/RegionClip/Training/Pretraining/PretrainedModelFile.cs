using RegionClip.Torch;
using RegionClip.Torch.Serialization;

namespace RegionClip.Training.Pretraining;

/// <summary>
/// A pretrained RegionCLIP model as the official release lays one out, inside detectron2's
/// {"model": …}: the student's visual tower under "backbone.", the text tower under "lang_encoder."
/// (CLIP's keys without logit_scale, which the official language encoder lacks) and the teacher's
/// visual tower under "teacher_backbone.". detect, extract-regions and the official code load it.
/// </summary>
public static class PretrainedModelFile
{
    public static void Save(string path, RegionTextModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in model.Student.Visual.state_dict()) state["backbone." + k] = v;
        foreach (var (k, v) in model.Text.state_dict())
            if (!k.StartsWith("visual.", StringComparison.Ordinal) && k != "logit_scale") state["lang_encoder." + k] = v;
        foreach (var (k, v) in model.Teacher.Visual.state_dict()) state["teacher_backbone." + k] = v;
        Checkpoint.SaveStateDict(state, path, wrapInModel: true);
    }
}
