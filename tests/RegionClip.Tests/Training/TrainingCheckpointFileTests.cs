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
