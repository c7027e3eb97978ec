using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Torch;

namespace RegionClip.Training.Pretraining;

/// <summary>The losses of one forward pass (with gradient) and what the teacher kept.</summary>
public sealed record PretrainLosses(Tensor ImageText, Tensor Distillation, Tensor Contrastive, Tensor Total, long Kept, long Regions, bool NonePassed)
    : IDisposable
{
    public void Dispose()
    {
        ImageText.Dispose();
        Distillation.Dispose();
        Contrastive.Dispose();
        Total.Dispose();
    }
}

/// <summary>
/// RegionCLIP's pretraining model (the official PretrainFastRCNN): a student CLIP visual encoder that
/// learns region representations, a frozen teacher visual encoder that labels the same regions with
/// concepts, and a frozen text tower for the captions. Both visual encoders run stem..res4 on the padded
/// batch; regions are RoIAlign-ed from res4 and go through res5 and the attention pool
/// (<see cref="RegionClipModel.RegionHead"/>). All batch norms are frozen.
/// </summary>
/// <remarks>
/// What needs no gradient runs without autograd, with the inference path's folds (frozen batch norms folded
/// into the convolutions, the attention pool's query folded into its projections): the teacher and the text
/// tower in inference mode, the student's frozen stem and stages (FREEZE_AT) under no_grad. The losses are
/// those of the plain modules to float rounding (PretrainParityTests, 1e-4 against PyTorch step by step).
/// </remarks>
public sealed class RegionTextModel : IDisposable
{
    private readonly bool _ownsText;

    /// <param name="studentConcepts">[K, D] student concept embeddings (not normalised); owned by this model.</param>
    /// <param name="teacherConcepts">[K', D] teacher concept embeddings; owned by this model.</param>
    /// <param name="freezeAt">detectron2's FREEZE_AT for the student: 1 stem, 2 + layer1, 3 + layer2, 4 + layer3.</param>
    public RegionTextModel(RegionClipModel student, RegionClipModel teacher, ClipModel text, bool ownsText,
        Tensor studentConcepts, Tensor teacherConcepts, int freezeAt, PretrainLossOptions loss, double conceptThreshold, double teacherTemperature)
    {
        CheckWidth(studentConcepts, student.EmbedDim, "student concepts", "student");
        CheckWidth(teacherConcepts, teacher.EmbedDim, "teacher concepts", "teacher");
        if (text.Config.EmbedDim != student.EmbedDim)
            throw new ArgumentException($"the text tower embeds to {text.Config.EmbedDim} dimensions but the student to {student.EmbedDim}: the image–text loss needs one space");
        (Student, Teacher, Text, _ownsText, StudentConcepts, TeacherConcepts) = (student, teacher, text, ownsText, studentConcepts, teacherConcepts);
        (Loss, ConceptThreshold, TeacherTemperature, FreezeAt) = (loss, conceptThreshold, teacherTemperature, freezeAt);
        Teacher.Visual.requires_grad_(false);
        Text.requires_grad_(false);
        Student.Visual.requires_grad_(true);
        foreach (var (name, p) in Student.Visual.named_parameters())
            if (FrozenBy(name, freezeAt)) p.requires_grad = false;
        Trainable = Student.Visual.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, (Tensor)p.parameter)).ToList();
    }

    public RegionClipModel Student { get; }
    public RegionClipModel Teacher { get; }
    public ClipModel Text { get; }
    public Tensor StudentConcepts { get; }
    public Tensor TeacherConcepts { get; }
    public PretrainLossOptions Loss { get; }
    public double ConceptThreshold { get; }
    public double TeacherTemperature { get; }
    /// <summary>detectron2's FREEZE_AT of the student (see <see cref="FrozenBy"/>).</summary>
    public int FreezeAt { get; }

    /// <summary>The student's trainable tensors by name (layer2..layer4 and the attention pool at freeze_at 2).</summary>
    public IReadOnlyList<(string Name, Tensor Parameter)> Trainable { get; }

    /// <summary>Whether FREEZE_AT <paramref name="freezeAt"/> freezes the student parameter <paramref name="name"/>.</summary>
    public static bool FrozenBy(string name, int freezeAt)
    {
        int stage = name.StartsWith("conv", StringComparison.Ordinal) || name.StartsWith("bn", StringComparison.Ordinal) ? 1
            : name.StartsWith("layer1.", StringComparison.Ordinal) ? 2
            : name.StartsWith("layer2.", StringComparison.Ordinal) ? 3
            : name.StartsWith("layer3.", StringComparison.Ordinal) ? 4
            : int.MaxValue;   // layer4 and attnpool belong to the ROI head, which FREEZE_AT never freezes
        return stage <= freezeAt;
    }

    /// <summary>
    /// One forward pass: student region and global-box embeddings, caption embeddings, the teacher's
    /// pseudo labels, and the three weighted losses (official names: loss_img_txt_level,
    /// loss_region_distill, loss_concept_contrastive).
    /// </summary>
    /// <param name="gather">Turns this process's normalised global-box and caption embeddings into the whole
    /// job's (rank order) for the image–text loss; null in a single process.</param>
    public PretrainLosses Forward(PretrainBatch batch, Func<Tensor, Tensor>? gather = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = torch.NewDisposeScope();
        // The student's frozen stem and stages (FREEZE_AT) run without autograd, their norms folded; the
        // regions and the global boxes then share one pass through res5 and the attention pool.
        var res4 = FreezeAt >= 1 ? Student.TrainingBackbone(batch.Images, Math.Min(FreezeAt, 4) - 1) : Student.Backbone(batch.Images);
        long count = batch.Regions.size(0);
        var embeddings = Student.RegionHead(res4, torch.cat([batch.Regions, batch.GlobalBoxes]));
        var regions = embeddings.narrow(0, 0, count);
        var global = embeddings.narrow(0, count, batch.GlobalBoxes.size(0));

        // The frozen text tower runs in inference mode (as the teacher does below, folded as for detection);
        // the outputs are cloned out of it, so that autograd may save them.
        Tensor captions;
        using (torch.inference_mode()) captions = Text.encode_text(batch.Tokens);
        captions = captions.clone();
        var g = RegionConceptLosses.Normalize(global);
        var t = RegionConceptLosses.Normalize(captions);
        if (gather is not null) (g, t) = (gather(g), gather(t));
        var imageText = ContrastiveLoss.ImageText(g, t, 1 / Loss.Temperature);

        if (regions.size(0) == 0)
        {
            // No image of the batch has a region: only the image–text loss can teach anything.
            return new PretrainLosses(imageText.MoveToOuterScope(), torch.zeros([]).MoveToOuterScope(), torch.zeros([]).MoveToOuterScope(), (imageText * Loss.ImageText).MoveToOuterScope(), 0, 0, true);
        }
        var teacherRegions = Teacher.FrozenRegionEmbeddings(batch.Images, batch.Regions);
        using var labels = RegionConceptLosses.Label(teacherRegions, TeacherConcepts, ConceptThreshold, TeacherTemperature);
        var kept = regions.index(labels.Keep);
        var distill = RegionConceptLosses.Distillation(kept, StudentConcepts, labels.Probabilities, Loss.Temperature);
        var contrastive = RegionConceptLosses.ConceptContrastive(kept, StudentConcepts, labels.Targets, Loss.Temperature);
        var total = imageText * Loss.ImageText + distill * Loss.Distillation + contrastive * Loss.Contrastive;
        return new PretrainLosses(imageText.MoveToOuterScope(), distill.MoveToOuterScope(), contrastive.MoveToOuterScope(), total.MoveToOuterScope(),
            labels.Kept, regions.size(0), labels.NonePassed);
    }

    private static void CheckWidth(Tensor concepts, int dim, string what, string model)
    {
        if (concepts.ndim != 2 || concepts.size(0) < 1)
            throw new ArgumentException($"{what} must be a non-empty [K, D] matrix, got [{string.Join(", ", concepts.shape)}]");
        if (concepts.size(1) != dim)
            throw new ArgumentException($"{what} have {concepts.size(1)} dimensions but the {model} embeds regions in {dim}: use concepts embedded with a text tower of the {model}'s width");
    }

    public void Dispose()
    {
        Student.Dispose();
        Teacher.Dispose();
        if (_ownsText) Text.Dispose();
        StudentConcepts.Dispose();
        TeacherConcepts.Dispose();
    }
}
