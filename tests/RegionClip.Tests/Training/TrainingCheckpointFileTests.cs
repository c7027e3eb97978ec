using RegionClip.Training.Engine;
using RegionClip.Training;
using RegionClip.Training.Rpn;

namespace RegionClip.Tests.Training;

/// <summary>The checkpoint layout shared by the teacher and RPN trainers: foreign or incomplete files are refused by name.</summary>
public sealed class TrainingCheckpointFileTests : TorchTest
{
    private static string Write(TempDir dir, string optionsJson, bool withRng = true)
    {
        var path = dir.File("checkpoint.pth");
        var root = new OrderedDictionary<string, object?>
        {
            ["model"] = new OrderedDictionary<string, object?>(),
            ["optimizer"] = new OrderedDictionary<string, object?>(),
            ["scheduler"] = new OrderedDictionary<string, object?> { ["last_iter"] = 3L },
            ["step"] = 3L,
            ["total_steps"] = 10L,
            ["seconds"] = 1.5,
            ["images"] = 8L,
            ["options"] = optionsJson,
        };
        if (withRng) root["rng"] = new OrderedDictionary<string, object?> { ["seed"] = 1L, ["epoch"] = 0L, ["cursor"] = 3L };
        torch.save(root, path);
        return path;
    }

    [Fact]
    public void AnotherTrainersOptionsAreRefusedNotFilledWithDefaults()
    {
        using var dir = Paths.TempDir();
        var path = Write(dir, """{"World":"w","NotAnRpnOption":1}""");
        var e = Assert.Throws<InvalidDataException>(() => RpnTrainingCheckpoint.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("\"options\" are not the options of an RPN training checkpoint", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Read(path));
        Assert.Contains("\"options\" are not the options of a teacher training checkpoint", e.Message);
    }

    [Theory]
    [InlineData("""{"World":"w","BaseOnly":true,"Kind":"Fpn","Steps":300,"LearningRate":0.002,"EvalNms":0.7,"Out":"o","Seed":0}""", true)]
    [InlineData("""{"Resolution":64,"VisionWidth":16,"BatchSize":128,"Steps":360,"HorizontalFlip":true,"Seed":0}""", false)]
    public void AnOlderFlatLayoutIsRefusedInOneClearLine(string flatJson, bool rpn)
    {
        using var dir = Paths.TempDir();
        var path = Write(dir, flatJson);
        var e = Assert.Throws<InvalidDataException>(() => { using var _ = rpn ? (IDisposable)RpnTrainingCheckpoint.Read(path) : TrainingCheckpoint.Read(path); });
        Assert.Contains(path, e.Message);
        Assert.Contains("older flat layout", e.Message);
        Assert.Contains(rpn ? "(before the data, model, input, solver, evaluation sections)" : "(before the model, solver, input sections)", e.Message);
        Assert.Contains("start afresh without resume", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void NestedOptionsRoundTripThroughTheCheckpointJson()
    {
        using var dir = Paths.TempDir();
        var rpn = RpnTrainingOptions.Synthetic(quick: true) with
        {
            Data = new() { World = "/w", BaseOnly = true, ExcludeNovelImages = true },
            Model = new() { Kind = RegionClip.Modeling.Proposals.RpnKind.C4, Depths = [1, 2, 1], AnchorSizes = [[8, 16]], HeadConvDims = [16, 16], IouThresholds = [0.2, 0.8] },
            Input = new() { TrainMinSizes = [200, 240] },
            Solver = new() { Optimizer = RpnOptimizerKind.Sgd, Schedule = RpnSchedule.Step, Milestones = [5, 9], Steps = 12 },
            Evaluation = new() { Every = 4, TopK = [7] },
            Seed = 3,
        };
        var json = System.Text.Json.JsonSerializer.Serialize(rpn, RpnTrainingCheckpoint.Json);
        using (var read = RpnTrainingCheckpoint.Read(Write(dir, json)))
            Assert.Equal(json, System.Text.Json.JsonSerializer.Serialize(read.Options, RpnTrainingCheckpoint.Json));
        var teacher = TeacherOptions.Quick with { Model = new() { VisionLayers = [1, 2, 1, 1] }, Solver = new() { Minutes = 2.5, LearnTemperature = false }, Input = new() { HorizontalFlip = false }, Seed = 9 };
        json = System.Text.Json.JsonSerializer.Serialize(teacher);
        using (var read = TrainingCheckpoint.Read(Write(dir, json)))
            Assert.Equal(json, System.Text.Json.JsonSerializer.Serialize(read.Options));
    }

    [Fact]
    public void ANullSectionIsRefused()
    {
        using var dir = Paths.TempDir();
        var e = Assert.Throws<InvalidDataException>(() => RpnTrainingCheckpoint.Read(Write(dir, """{"Solver":null}""")));
        Assert.Contains("\"options\" are not the options of an RPN training checkpoint", e.Message);
    }

    [Fact]
    public void AMissingEntryIsNamed()
    {
        using var dir = Paths.TempDir();
        var path = Write(dir, "{}", withRng: false);
        var e = Assert.Throws<InvalidDataException>(() => RpnTrainingCheckpoint.Read(path));
        Assert.Contains($"'{path}' is not an RPN training checkpoint: \"rng\" is missing", e.Message);
    }

    [Fact]
    public void TheStateIsReadBack()
    {
        using var dir = Paths.TempDir();
        using var checkpoint = RpnTrainingCheckpoint.Read(Write(dir, "{}"));
        Assert.Equal(new TrainingState(3, 10, 0, 3, 1, 1.5, 8), checkpoint.State);
    }
}
