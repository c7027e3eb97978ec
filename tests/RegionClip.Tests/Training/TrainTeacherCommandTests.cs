using RegionClip.Tests.Cli;
using RegionClip.Training;

namespace RegionClip.Tests.Training;

public sealed class TrainTeacherCommandTests(TinyWorld world) : TorchTest, IClassFixture<TinyWorld>
{
    [Fact]
    public void TrainsEvaluatesAndReportsJson()
    {
        using var dir = Paths.TempDir();
        var (code, stdout, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.FullName, "--epochs", "1", "--batch-size", "6", "--seed", "2");
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(stdout);
        Assert.Equal(2, json.GetProperty("training").GetProperty("steps").GetInt64());
        Assert.Equal(12, json.GetProperty("training").GetProperty("images").GetInt32());
        Assert.Equal(TeacherOptions.Default.Resolution, json.GetProperty("model").GetProperty("resolution").GetInt32());
        var zeroShot = json.GetProperty("zeroShot");
        var images = zeroShot.GetProperty("images").GetInt32();
        Assert.True(images > 0, "the tiny val split has single-object images");
        Assert.Equal(images, zeroShot.GetProperty("perClass").EnumerateArray().Sum(c => c.GetProperty("images").GetInt32()));
        Assert.Equal((double)zeroShot.GetProperty("correct").GetInt32() / images, zeroShot.GetProperty("top1").GetDouble(), 5);
        foreach (var f in new[] { "teacher.pth", "teacher_checkpoint.pth", "teacher_log.csv", "teacher.json" })
            Assert.True(File.Exists(dir.File(f)), $"{f} was not written");
        Assert.Equal(2, TrainingLog.Read(dir.File("teacher_log.csv")).Count);
        Assert.Contains("zero-shot top-1", stderr);
    }

    [Fact]
    public void BadArgumentsGiveOneClearLine()
    {
        using var dir = Paths.TempDir();
        var (code, _, stderr) = CliRunner.Run("train-teacher", "--world", dir.File("nowhere"), "--out", dir.FullName);
        Assert.Equal(1, code);
        Assert.Contains("nowhere", stderr);
        (code, _, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.FullName, "--minutes", "1", "--epochs", "2");
        Assert.Equal(1, code);
        Assert.Contains("--minutes or --epochs", stderr);
        (code, _, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.FullName, "--batch-size", "1");
        Assert.Equal(1, code);
        Assert.Contains("batch", stderr);
    }
}
