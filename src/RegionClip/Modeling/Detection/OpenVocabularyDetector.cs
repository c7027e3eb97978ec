using RegionClip.Modeling.Clip;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using RegionClip.Torch.Serialization;

namespace RegionClip.Modeling.Detection;

/// <summary>
/// RegionCLIP's transfer-learning detector (the official CLIPFastRCNN with CLIPRes5ROIHeads): the CLIP visual
/// encoder split at res4 (<see cref="RegionClipModel"/>), RoIAlign → res5 → attention pool per region, and a
/// <see cref="BoxPredictor"/> that classifies regions against text embeddings and regresses class-agnostic boxes.
/// Saved and loaded in the official layout: <c>backbone.*</c> (the visual tower) and
/// <c>roi_heads.box_predictor.*</c>, plus <c>lang_encoder.*</c> when the model has a text tower.
/// </summary>
public sealed class OpenVocabularyDetector : IDisposable
{
    private OpenVocabularyDetector(RegionClipModel model, BoxPredictor predictor)
    {
        if (predictor.EmbedDim != model.EmbedDim)
            throw new ArgumentException($"the class embeddings have {predictor.EmbedDim} dimensions but '{model.Source}' embeds regions in {model.EmbedDim}: use embeddings made with a text tower of the same width");
        (Model, Predictor) = (model, predictor);
        Weights = new WeightsView(model.Visual, predictor);
    }

    public RegionClipModel Model { get; }
    public BoxPredictor Predictor { get; }

    /// <summary>The trained module tree under the official keys (backbone.*, roi_heads.box_predictor.*), for checkpoints.</summary>
    public Module Weights { get; }

    /// <summary>A detector from a visual encoder (owned from now on) and class embeddings; bbox_pred starts as the official code starts it.</summary>
    public static OpenVocabularyDetector Create(RegionClipModel model, Tensor trainConcepts, Tensor? testConcepts, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (t, what) in new[] { (trainConcepts, "training"), (testConcepts, "test") })
            if (t is not null && t.ndim == 2 && t.size(1) != model.EmbedDim)
                throw new ArgumentException($"the {what} class embeddings have {t.size(1)} dimensions but '{model.Source}' embeds regions in {model.EmbedDim}: use embeddings made with a text tower of the same width");
        var predictor = new BoxPredictor(trainConcepts, testConcepts, generator);
        try
        {
            return new OpenVocabularyDetector(model, predictor);
        }
        catch
        {
            predictor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a fine-tuned detector (the official regionclip_finetuned-*.pth or one of <c>train</c>'s): the visual tower
    /// from backbone.*, the box predictor from roi_heads.box_predictor.*. Null when the file has no box predictor
    /// (a pretrained or plain CLIP checkpoint); <see cref="LoadModel"/> reads either kind in one pass.
    /// </summary>
    public static OpenVocabularyDetector? TryLoad(string path, bool textTower = true)
    {
        var (model, detector) = LoadModel(path, textTower);
        if (detector is null) model.Dispose();
        return detector;
    }

    /// <summary>
    /// Reads a checkpoint once: its model, and the fine-tuned detector around that model when the file has a box
    /// predictor (then the detector owns the model; dispose the detector), else null (dispose the model).
    /// </summary>
    public static (RegionClipModel Model, OpenVocabularyDetector? Detector) LoadModel(string path, bool textTower = true)
    {
        using var ckpt = ClipCheckpoint.Load(path);
        var model = RegionClipModel.Load(ckpt, textTower);
        if (ckpt.BoxPredictor.Count == 0) return (model, null);
        BoxPredictor? predictor = null;
        try
        {
            Tensor Get(string key) => ckpt.BoxPredictor.TryGetValue(key, out var t) ? t
                : throw new InvalidDataException($"'{path}' has a box predictor without {ClipCheckpoint.BoxPredictorPrefix}{key} (a class-specific or non-text classifier is not supported)");
            predictor = new BoxPredictor(Get("cls_score.weight"), ckpt.BoxPredictor.GetValueOrDefault("test_cls_score.weight"));
            predictor.LoadBoxRegressor(Get("bbox_pred.weight"), Get("bbox_pred.bias"));
            using (torch.no_grad()) predictor.ClsBgScore.weight.copy_(Get("cls_bg_score.weight"));
            return (model, new OpenVocabularyDetector(model, predictor));
        }
        catch
        {
            predictor?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The training forward pass: res4 of a padded, normalised batch [N, 3, H, W] (the stem and the first
    /// <paramref name="freezeAt"/> − 1 stages without autograd, as frozen), RoIAlign of <paramref name="rois"/> [R, 5],
    /// res5 and the attention pool, then logits over the training classes [R, K + 1] and box deltas [R, 4].
    /// </summary>
    public (Tensor Logits, Tensor Deltas) Forward(Tensor images, Tensor rois, int freezeAt, double temperature = RegionClassifier.Temperature)
    {
        using var scope = torch.NewDisposeScope();
        var res4 = freezeAt >= 1 ? Model.TrainingBackbone(images, Math.Min(freezeAt, 4) - 1) : Model.Backbone(images);
        var regions = Model.RegionHead(res4, rois);
        var logits = Predictor.Logits(regions, test: false, temperature);
        var deltas = Predictor.Deltas(regions);
        return (logits.MoveToOuterScope(), deltas.MoveToOuterScope());
    }

    /// <summary>Writes the detector in the official CLIPFastRCNN layout (detectron2's {"model": …}).</summary>
    public void Save(string path)
    {
        var state = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in Weights.state_dict()) state[k] = v;
        if (Model.HasTextTower)
            foreach (var (k, v) in Model.Clip.state_dict())
                if (!k.StartsWith("visual.", StringComparison.Ordinal) && k != "logit_scale") state["lang_encoder." + k] = v;
        Checkpoint.SaveStateDict(state, path, wrapInModel: true);
    }

    public void Dispose()
    {
        Predictor.Dispose();
        Model.Dispose();
    }

    /// <summary>A view that names the detector's modules as the official file does; it owns nothing.</summary>
    private sealed class WeightsView : Module
    {
        public WeightsView(Module backbone, BoxPredictor predictor)
        {
            register_module("backbone", backbone);
            register_module("roi_heads", new RoiHeadsView(predictor));
        }
    }

    private sealed class RoiHeadsView : Module
    {
        public RoiHeadsView(BoxPredictor predictor) => register_module("box_predictor", predictor);
    }
}
