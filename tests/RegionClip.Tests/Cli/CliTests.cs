using RegionClip.Modeling.Clip;
using RegionClip.Text;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Cli;

public sealed class CliTests : TorchTest
{
    private static string Vocab() => Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");

    [SkippableFact]
    public void TokenizeWritesUnpaddedIdsWithStartAndEnd()
    {
        var (code, stdout, _) = CliRunner.Run("tokenize", "--vocab", Vocab(), "a photo of a cat.", "person.");
        Assert.Equal(0, code);
        var tokens = CliRunner.Json(stdout).GetProperty("tokens");
        Assert.Equal([49406, 320, 1125, 539, 320, 2368, 269, 49407], tokens[0].EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([49406, 2533, 269, 49407], tokens[1].EnumerateArray().Select(e => e.GetInt32()));
    }

    [SkippableFact]
    public void EmbedTextMatchesTheLibrary()
    {
        var vocab = Vocab();
        using var dir = Paths.TempDir();
        var ckpt = TestCheckpoints.FullVocabularyTinyClip(dir.FullName);
        var outFile = dir.File("emb.json");
        var (code, _, stderr) = CliRunner.Run("embed-text", "--model", ckpt, "--vocab", vocab, "--out", outFile, "a dog", "two cats");
        Assert.True(code == 0, stderr);
        var rows = CliRunner.Json(File.ReadAllText(outFile)).GetProperty("embeddings").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Equal(32, rows[0].Length);

        using var model = ClipModel.Load(ckpt);
        using var scope = torch.NewDisposeScope();
        var expected = new TextEncoder(model, ClipTokenizer.Load(vocab)).Encode(["a dog", "two cats"]).data<float>();
        Assert.Equal(expected, rows.SelectMany(r => r).ToArray());
    }

    [Fact]
    public void ConvertTurnsTorchScriptIntoAPlainFloat32StateDict()
    {
        using var dir = Paths.TempDir();
        var outFile = dir.File("plain.pth");
        var (code, stdout, stderr) = CliRunner.Run("convert", "--in", Paths.Fixture("clip", "tiny_clip_traced.pt"), "--out", outFile, "--half-to-float");
        Assert.True(code == 0, stderr);
        var report = CliRunner.Json(stdout);
        Assert.Equal("TorchScript", report.GetProperty("inputKind").GetString());
        Assert.False(report.GetProperty("dtypesOut").TryGetProperty("float16", out _));
        Assert.Equal(CheckpointKind.TorchSave, Checkpoint.Identify(outFile));
        using var scope = torch.NewDisposeScope();
        var state = Checkpoint.LoadStateDict(outFile);
        foreach (var t in state.Values) scope.Include(t);
        Assert.Contains("visual.attnpool.c_proj.weight", state.Keys);
        Assert.All(state.Values, t => Assert.NotEqual(ScalarType.Float16, t.dtype));
    }

    [Fact]
    public void BadInputsFailWithMessagesNamingTheFile()
    {
        using var dir = Paths.TempDir();
        var notVocab = dir.File("words.txt");
        File.WriteAllText(notVocab, "not a vocabulary\n");
        var (code, _, stderr) = CliRunner.Run("tokenize", "--vocab", notVocab, "x");
        Assert.Equal(1, code);
        Assert.Contains("words.txt", stderr);

        (code, _, stderr) = CliRunner.Run("convert", "--in", notVocab, "--out", dir.File("o.pth"));
        Assert.Equal(1, code);
        Assert.Contains("words.txt", stderr);
        Assert.Contains("not a PyTorch checkpoint", stderr);

        (code, _, stderr) = CliRunner.Run("embed-text", "--model", dir.File("missing.pt"), "--vocab", notVocab, "x");
        Assert.Equal(1, code);
        Assert.Contains("missing.pt", stderr);
    }

    [Fact]
    public void DemoHelpNamesItsOptionsAndTheRootHelpListsEveryVerb()
    {
        var (code, stdout, _) = CliRunner.Run("demo", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--out", "--quick", "--resume", "--seed" }) Assert.Contains(option, stdout);
        var (rootCode, rootHelp, _) = CliRunner.Run("--help");
        Assert.Equal(0, rootCode);
        foreach (var verb in new[] { "demo", "synth", "train-teacher", "train-rpn", "detect", "evaluate", "convert" }) Assert.Contains(verb, rootHelp);
    }

    [Fact]
    public void DemoRefusesABadSeedWithoutRunning()
    {
        var (code, _, stderr) = CliRunner.Run("demo", "--seed", "many");
        Assert.NotEqual(0, code);
        Assert.Contains("many", stderr);
    }
}
