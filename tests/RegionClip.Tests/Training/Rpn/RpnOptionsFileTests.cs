using RegionClip.Common;
using RegionClip.Modeling.Layers;
using RegionClip.Modeling.Proposals;
using RegionClip.Training.Rpn;

namespace RegionClip.Tests.Training.Rpn;

/// <summary>The YAML config of train-rpn: every field optional, errors naming the file, line and field.</summary>
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
    public void FieldsAreReadBySnakeCaseNamesWithTheirTypes()
    {
        var o = Parse("""
            world: ../worlds/w1
            kind: clip_c4
            depths: [1, 2, 1]
            stem_channels: 16
            res2_channels: 64
            bottleneck_channels: 16
            norm: frozen
            anchor_sizes: [8, 16, 32]
            aspect_ratios: [0.5, 1, 2]
            learning_rate: 1.5e-3
            optimizer: sgd
            schedule: step
            milestones: [100, 200]
            base_only: yes
            seed: 7
            eval_top_k: [10, 100]
            head_conv_dims: ~
            """);
        Assert.Equal(Path.GetFullPath("/data/worlds/w1"), o.World);   // relative to the file's folder
        Assert.Equal(RpnKind.ClipC4, o.Kind);
        Assert.Equal([1, 2, 1], o.Depths);
        Assert.Equal(NormKind.Frozen, o.Norm);
        Assert.Equal([8.0, 16, 32], Assert.Single(o.AnchorSizes!));      // one flat list = one level
        Assert.Equal(1.5e-3, o.LearningRate);
        Assert.Equal(RpnOptimizerKind.Sgd, o.Optimizer);
        Assert.Equal(RpnSchedule.Step, o.Schedule);
        Assert.Equal([100L, 200], o.Milestones);
        Assert.True(o.BaseOnly);
        Assert.Equal(7UL, o.Seed);
        Assert.Equal([10, 100], o.EvalTopK);
        Assert.Null(o.HeadConvDims);
        Assert.Equal(new RpnTrainingOptions().MinSize, o.MinSize);
        var fpn = Parse("kind: fpn\nanchor_sizes: [[8], [16], [32], [64], [128]]");
        Assert.Equal(5, fpn.AnchorSizes!.Length);
    }

    [Fact]
    public void AnUnknownFieldIsNamedWithItsLineAndASuggestion()
    {
        var e = Assert.Throws<InvalidDataException>(() => Parse("steps: 10\nlearning_rat: 0.1\n"));
        Assert.Contains("rpn.yaml:2:1", e.Message);
        Assert.Contains("unknown field 'learning_rat'", e.Message);
        Assert.Contains("did you mean 'learning_rate'", e.Message);
    }

    [Theory]
    [InlineData("steps: ten", "field 'steps': 'ten' is not an integer")]
    [InlineData("learning_rate: fast", "field 'learning_rate': 'fast' is not a number")]
    [InlineData("kind: R101", "field 'kind': 'R101' is not one of c4, fpn, fpn_lsj, clip_c4")]
    [InlineData("base_only: maybe", "field 'base_only': 'maybe' is not true or false")]
    [InlineData("depths: 3", "field 'depths': expected a list")]
    [InlineData("steps: [1, 2]", "field 'steps': expected a single value")]
    [InlineData("steps: 10\nsteps: 20", "rpn.yaml:2:1: not valid YAML: Duplicate key")]
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
        Assert.Contains("not valid YAML", Assert.Throws<InvalidDataException>(() => Parse("steps: [1, 2\n")).Message);
    }

    [Theory]
    [InlineData("learning_rate: -1", "learning_rate: must be positive")]
    [InlineData("kind: c4\ndepths: [1, 1]", "depths: a C4 backbone needs 3 stage depths")]
    [InlineData("depths: [1, 1, 1]", "depths: a Fpn backbone needs 4 stage depths")]
    [InlineData("anchor_sizes: [[8, 16], [32]]", "anchor_sizes:")]
    [InlineData("kind: c4\ndepths: [1, 1, 1]\nanchor_sizes: [[8], [16]]", "anchor_sizes: a C4 RPN needs one list")]
    [InlineData("iou_thresholds: [0.7, 0.3]", "iou_thresholds:")]
    [InlineData("min_size: 8", "min_size: must be in 32..4096")]
    [InlineData("norm: frozen", "norm: a Frozen norm cannot learn")]
    [InlineData("kind: clip_c4\ndepths: [1, 1, 1]\nstem_channels: 16\nres2_channels: 60\nbottleneck_channels: 16", "res2_channels: a CLIP tower of width w")]
    [InlineData("clip_weights: teacher.pth", "clip_weights: only the ClipC4 kind")]
    public void ValidationNamesTheField(string yaml, string expected)
    {
        var o = Parse("world: w\n" + yaml);
        var e = Assert.Throws<ArgumentException>(o.Validate);
        Assert.StartsWith(expected.Split(':')[0] + ":", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void EveryOptionHasAFileName()
    {
        Assert.Contains("learning_rate", OptionsFile<RpnTrainingOptions>.Fields.Keys);
        Assert.Contains("eval_top_k", OptionsFile<RpnTrainingOptions>.Fields.Keys);
        Assert.Contains("iou_thresholds", OptionsFile<RpnTrainingOptions>.Fields.Keys);
        Assert.DoesNotContain("resume", OptionsFile<RpnTrainingOptions>.Fields.Keys);   // a command-line choice, not a setting
        Assert.Equal(typeof(RpnTrainingOptions).GetProperties().Length - 1, OptionsFile<RpnTrainingOptions>.Fields.Count);   // all public ones but Resume
    }

    private static string JsonOf(RpnTrainingOptions o) => System.Text.Json.JsonSerializer.Serialize(o, RpnTrainingCheckpoint.Json);
}
