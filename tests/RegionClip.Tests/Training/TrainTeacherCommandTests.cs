using RegionClip.Tests.Cli;
using RegionClip.Training;

namespace RegionClip.Tests.Training;

public sealed class TrainTeacherCommandTests(TinyWorld world) : TorchTest, IClassFixture<TinyWorld>
{
    [Fact]
    public void TrainsAndReportsJson()
    {
        using var dir = Paths.TempDir();
        var (code, stdout, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.FullName, "--epochs", "1", "--batch-size", "6", "--seed", "2", "--no-eval");
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(stdout);
        Assert.Equal(2, json.GetProperty("training").GetProperty("steps").GetInt64());
        Assert.Equal(12, json.GetProperty("training").GetProperty("images").GetInt32());
        Assert.Equal(TeacherOptions.Default.Model.Resolution, json.GetProperty("model").GetProperty("resolution").GetInt32());
        Assert.False(json.TryGetProperty("zeroShot", out _), "--no-eval skips the zero-shot check");
        foreach (var f in new[] { "teacher.pth", "teacher_checkpoint.pth", "teacher_log.csv", "teacher.json" })
            Assert.True(File.Exists(dir.File(f)), $"{f} was not written");
        Assert.Equal(2, TrainingLog.Read(dir.File("teacher_log.csv")).Count);
        Assert.Contains("final loss", stderr);

        // A finished run resumed: nothing left to train, same teacher.
        var before = File.ReadAllBytes(dir.File("teacher.pth"));
        (code, stdout, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.FullName, "--resume", "--no-eval");
        Assert.True(code == 0, stderr);
        var training = CliRunner.Json(stdout).GetProperty("training");
        Assert.Equal(2, training.GetProperty("resumedFromStep").GetInt64());
        Assert.Equal(2, training.GetProperty("steps").GetInt64());
        Assert.Equal(6, training.GetProperty("batchSize").GetInt32());
        Assert.Equal(before, File.ReadAllBytes(dir.File("teacher.pth")));
    }

    [Fact]
    public void AConfigFileSetsTheOptionsAndFlagsOverrideIt()
    {
        using var dir = Paths.TempDir();
        var config = dir.File("teacher.yaml");
        File.WriteAllText(config, "solver:\n  epochs: 1\n  batch_size: 6\nseed: 2\nmodel:\n  vision_width: 8\n");
        var (code, stdout, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.File("a"), "--config", config, "--batch-size", "4", "--no-eval");
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(stdout);
        Assert.Equal(3, json.GetProperty("training").GetProperty("steps").GetInt64());   // one epoch of 12 images at the flag's batch of 4
        Assert.Equal(4, json.GetProperty("training").GetProperty("batchSize").GetInt32());
        Assert.Equal(8, json.GetProperty("model").GetProperty("visionWidth").GetInt32());   // the file's model section

        // A run length given as a flag replaces the file's, even in another unit (the file says one epoch).
        (code, stdout, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.File("c"), "--config", config, "--steps", "1", "--no-eval");
        Assert.True(code == 0, stderr);
        Assert.Equal(1, CliRunner.Json(stdout).GetProperty("training").GetProperty("steps").GetInt64());

        File.WriteAllText(config, "model:\n  vision_widht: 8\n");
        (code, _, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.File("b"), "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("teacher.yaml:2:3: unknown field 'model.vision_widht' (did you mean 'vision_width'?)", stderr);
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
        Assert.Contains("one of --steps, --epochs or --minutes", stderr);
        (code, _, stderr) = CliRunner.Run("train-teacher", "--world", world.Dir, "--out", dir.FullName, "--batch-size", "1");
        Assert.Equal(1, code);
        Assert.Contains("batch", stderr);
    }
}
