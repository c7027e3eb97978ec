using RegionClip.Common;
using RegionClip.Modeling.Layers;
using RegionClip.Modeling.Proposals;
using RegionClip.Training.Rpn;

namespace RegionClip.Tests.Training.Rpn;

/// <summary>The YAML config of train-rpn: sections data, model, input, solver, evaluation; every field optional, errors naming the file, line and field.</summary>
public sealed class RpnOptionsFileTests
{
    private static RpnTrainingOptions Parse(string yaml) => OptionsFile<RpnTrainingOptions>.Parse(yaml, "rpn.yaml", "/data/configs");

    [Fact]
    public void AnEmptyFileKeepsTheDefaults()
    {
        Assert.Equal(JsonOf(new RpnTrainingOptions()), JsonOf(Parse("")));
        Assert.Equal(JsonOf(new RpnTrainingOptions()), JsonOf(Parse("# only a comment\n")));
    }

    [Fact]
    public void NestedSectionsLoadIntoTheirFieldsWithTheirTypes()
    {
        var o = Parse("""
            out: runs/r1
            seed: 7
            data:
              world: ../worlds/w1
              base_only: yes
            model:
              kind: clip_c4
              depths: [1, 2, 1]
              stem_channels: 16
              res2_channels: 64
              bottleneck_channels: 16
              norm: frozen
              anchor_sizes: [8, 16, 32]
              aspect_ratios: [0.5, 1, 2]
              head_conv_dims: ~
              batch_size_per_image: 128
              iou_thresholds: [0.4, 0.6]
            input:
              min_size: 320
              train_min_sizes: [256, 320]
            solver:
              learning_rate: 1.5e-3
              optimizer: sgd
              schedule: step
              milestones: [100, 200]
              checkpoint_every: 50
            evaluation: {every: 100, images: 20, nms: 0.5, pre_nms_top_k: 500, top_k: [10, 100], iou: 0.7}
            """);
        Assert.Equal(Path.GetFullPath("/data/configs/runs/r1"), o.Out);
        Assert.Equal(7UL, o.Seed);
        Assert.Equal(Path.GetFullPath("/data/worlds/w1"), o.Data.World);   // relative to the file's folder
        Assert.True(o.Data.BaseOnly);
        Assert.Equal(RpnKind.ClipC4, o.Model.Kind);
        Assert.Equal([1, 2, 1], o.Model.Depths);
        Assert.Equal(NormKind.Frozen, o.Model.Norm);
        Assert.Equal([8.0, 16, 32], Assert.Single(o.Model.AnchorSizes!));      // one flat list = one level
        Assert.Null(o.Model.HeadConvDims);
        Assert.Equal(128, o.Model.BatchSizePerImage);
        Assert.Equal([0.4, 0.6], o.Model.IouThresholds);
        Assert.Equal(320, o.Input.MinSize);
        Assert.Equal([256, 320], o.Input.TrainMinSizes!);
        Assert.Equal(1.5e-3, o.Solver.LearningRate);
        Assert.Equal(RpnOptimizerKind.Sgd, o.Solver.Optimizer);
        Assert.Equal(RpnSchedule.Step, o.Solver.Schedule);
        Assert.Equal([100L, 200], o.Solver.Milestones);
        Assert.Equal(50, o.Solver.CheckpointEvery);
        Assert.Equal((100, 20, 0.5, 500, 0.7), (o.Evaluation.Every, o.Evaluation.Images, o.Evaluation.Nms, o.Evaluation.PreNmsTopK, o.Evaluation.Iou));
        Assert.Equal([10, 100], o.Evaluation.TopK);
        // Fields a section does not name keep their defaults.
        Assert.Equal(new RpnInputOptions().MaxSize, o.Input.MaxSize);
        Assert.Equal(new RpnSolverOptions().Steps, o.Solver.Steps);
        Assert.Equal(new RpnModelOptions().PositiveFraction, o.Model.PositiveFraction);
        var fpn = Parse("model:\n  kind: fpn\n  anchor_sizes: [[8], [16], [32], [64], [128]]");
        Assert.Equal(5, fpn.Model.AnchorSizes!.Length);
    }

    [Fact]
    public void AFileOverAPresetChangesOnlyWhatItNames()
    {
        var preset = RpnTrainingOptions.Synthetic(quick: true);
        var o = OptionsFile<RpnTrainingOptions>.Parse("solver:\n  learning_rate: 0.01\n", "rpn.yaml", "/data", preset);
        Assert.Equal(0.01, o.Solver.LearningRate);
        Assert.Equal(300, o.Solver.Steps);   // the preset's, not the type's default
        Assert.True(o.Data.BaseOnly);
        Assert.Equal(200, o.Evaluation.Images);
        Assert.Equal(2e-3, preset.Solver.LearningRate);   // the preset is not changed
    }

    [Theory]
    [InlineData("seed: 1\nsolver:\n  lerning_rate: 0.1\n", "rpn.yaml:3:3: unknown field 'solver.lerning_rate' (did you mean 'learning_rate'?)")]
    [InlineData("model:\n  kind: c4\n  min_size: 200\n", "rpn.yaml:3:3: unknown field 'model.min_size'")]
    [InlineData("learning_rate: 0.1\n", "rpn.yaml:1:1: unknown field 'learning_rate' (did you mean 'solver.learning_rate'?)")]
    [InlineData("eval_nms: 0.5\n", "rpn.yaml:1:1: unknown field 'eval_nms'")]
    [InlineData("solvr:\n  steps: 3\n", "unknown field 'solvr' (did you mean 'solver'?)")]
    public void AnUnknownFieldIsNamedWithItsSectionLineAndASuggestion(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Parse(yaml));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("solver: 3\n", "rpn.yaml:1:9: field 'solver' is a section: expected a mapping of field: value")]
    [InlineData("data:\n  - world\n", "rpn.yaml:2:3: field 'data' is a section")]
    [InlineData("model: ~\n", "rpn.yaml:1:8: field 'model' is a section")]
    public void ASectionGivenAsAScalarOrListIsAnError(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Parse(yaml));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("solver:\n  steps: ten", "field 'solver.steps': 'ten' is not an integer")]
    [InlineData("solver:\n  learning_rate: fast", "field 'solver.learning_rate': 'fast' is not a number")]
    [InlineData("model:\n  kind: R101", "field 'model.kind': 'R101' is not one of c4, fpn, fpn_lsj, clip_c4")]
    [InlineData("data:\n  base_only: maybe", "field 'data.base_only': 'maybe' is not true or false")]
    [InlineData("model:\n  depths: 3", "field 'model.depths': expected a list")]
    [InlineData("solver:\n  steps: [1, 2]", "field 'solver.steps': expected a single value")]
    [InlineData("solver:\n  steps: 10\n  steps: 20", "rpn.yaml:3:3: not valid YAML: Duplicate key")]
    [InlineData("seed: -1", "field 'seed': '-1' is out of range")]
    public void ABadValueIsNamedWithItsField(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Parse(yaml));
        Assert.Contains("rpn.yaml:", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void NotAMappingOrNotYamlIsRefused()
    {
        Assert.Contains("must be a mapping", Assert.Throws<InvalidDataException>(() => Parse("- steps\n- 10\n")).Message);
        Assert.Contains("not valid YAML", Assert.Throws<InvalidDataException>(() => Parse("solver: {steps: [1, 2}\n")).Message);
    }

    [Theory]
    [InlineData("solver:\n  learning_rate: -1", "solver.learning_rate: must be positive, got -1")]
    [InlineData("model:\n  kind: c4\n  depths: [1, 1]", "model.depths: a C4 backbone needs 3 stage depths")]
    [InlineData("model:\n  depths: [1, 1, 1]", "model.depths: a Fpn backbone needs 4 stage depths")]
    [InlineData("model:\n  anchor_sizes: [[8, 16], [32]]", "model.anchor_sizes:")]
    [InlineData("model:\n  kind: c4\n  depths: [1, 1, 1]\n  anchor_sizes: [[8], [16]]", "model.anchor_sizes: a C4 RPN needs one list")]
    [InlineData("model:\n  iou_thresholds: [0.7, 0.3]", "model.iou_thresholds:")]
    [InlineData("input:\n  min_size: 8", "input.min_size: must be in 32..4096")]
    [InlineData("model:\n  norm: frozen", "model.norm: a Frozen norm cannot learn")]
    [InlineData("model:\n  kind: clip_c4\n  depths: [1, 1, 1]\n  stem_channels: 16\n  res2_channels: 60\n  bottleneck_channels: 16", "model.res2_channels: a CLIP tower of width w")]
    [InlineData("model:\n  clip_weights: teacher.pth", "model.clip_weights: only the ClipC4 kind")]
    [InlineData("data:\n  exclude_novel_images: true", "data.exclude_novel_images: leaving out images")]
    [InlineData("evaluation:\n  nms: 0", "evaluation.nms: must be in (0, 1]")]
    [InlineData("evaluation:\n  top_k: []", "evaluation.top_k: must be positive proposal counts")]
    [InlineData("solver:\n  checkpoint_every: 0", "solver.checkpoint_every: must be at least 1")]
    public void ValidationNamesTheDottedField(string yaml, string expected)
    {
        var o = Parse(yaml);
        o = o with { Data = o.Data with { World = "w" } };   // some training data, so only the field under test is wrong
        var e = Assert.Throws<ArgumentException>(o.Validate);
        Assert.StartsWith(expected.Split(':')[0] + ":", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TheDefaultsAndPresetsAreValid()
    {
        new RpnTrainingOptions { Data = new() { World = "w" } }.Validate();
        (RpnTrainingOptions.Synthetic() with { Data = new() { World = "w", BaseOnly = true } }).Validate();
        var e = Assert.Throws<ArgumentException>(new RpnTrainingOptions().Validate);
        Assert.StartsWith("data.train_annotations: no training data", e.Message);
        e = Assert.Throws<ArgumentException>(new RpnTrainingOptions { Data = new() { World = "w" }, Out = " " }.Validate);
        Assert.StartsWith("out: the output folder must not be empty", e.Message);
    }

    [Fact]
    public void EveryOptionHasAFileNameInItsSection()
    {
        Assert.Equal(["data", "evaluation", "input", "model", "out", "seed", "solver"], OptionsFile<RpnTrainingOptions>.Fields.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("resume", OptionsFile<RpnTrainingOptions>.Fields.Keys);   // a command-line choice, not a setting
        Assert.Contains("learning_rate", OptionsFile<RpnSolverOptions>.Fields.Keys);
        Assert.Contains("top_k", OptionsFile<RpnEvaluationOptions>.Fields.Keys);
        Assert.Contains("iou_thresholds", OptionsFile<RpnModelOptions>.Fields.Keys);
        // Every public property of a section is a field: the flat layout's 51 settings, regrouped.
        static int Count<T>() where T : class, new()
        {
            Assert.Equal(typeof(T).GetProperties().Length, OptionsFile<T>.Fields.Count);
            return OptionsFile<T>.Fields.Count;
        }
        Assert.Equal(51, Count<RpnDataOptions>() + Count<RpnModelOptions>() + Count<RpnInputOptions>() + Count<RpnSolverOptions>() + Count<RpnEvaluationOptions>() + 2);   // + out, seed
    }

    private static string JsonOf(RpnTrainingOptions o) => System.Text.Json.JsonSerializer.Serialize(o, RpnTrainingCheckpoint.Json);
}
