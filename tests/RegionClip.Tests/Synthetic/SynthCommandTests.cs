using RegionClip.Tests.Cli;

namespace RegionClip.Tests.Synthetic;

public sealed class SynthCommandTests : TorchTest
{
    [Fact]
    public void SynthWritesAWorldAndReportsIt()
    {
        using var dir = Paths.TempDir();
        var (code, stdout, stderr) = CliRunner.Run("synth", "--out", dir.FullName, "--images", "3", "--seed", "4", "--size", "80x64", "--split", "val");
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(stdout);
        Assert.Equal(3, json.GetProperty("images").GetInt32());
        Assert.Equal("val", json.GetProperty("split").GetString());
        Assert.Equal(80, json.GetProperty("width").GetInt32());
        Assert.True(File.Exists(dir.File("instances_val.json")) && File.Exists(dir.File("captions_val.json")));
        Assert.True(File.Exists(dir.File("category_split.json")) && File.Exists(dir.File("bpe_world.txt")));
        Assert.Equal(3, Directory.GetFiles(dir.File("val")).Length);
    }

    [Fact]
    public void BadArgumentsGiveOneClearLine()
    {
        using var dir = Paths.TempDir();
        var (code, _, stderr) = CliRunner.Run("synth", "--out", dir.FullName, "--size", "640by480");
        Assert.Equal(1, code);
        Assert.Contains("--size", stderr);
        (code, _, stderr) = CliRunner.Run("synth", "--out", dir.FullName, "--images", "-2");
        Assert.Equal(1, code);
        Assert.Contains("--images", stderr);
    }
}
