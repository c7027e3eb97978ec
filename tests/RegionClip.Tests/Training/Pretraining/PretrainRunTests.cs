using RegionClip.Common;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Torch.Serialization;
using RegionClip.Training.Engine;
using RegionClip.Training.Pretraining;

namespace RegionClip.Tests.Training.Pretraining;

/// <summary>
/// Pretraining runs on the tiny parity fixtures (copied to a temporary folder): exact resume after a crash,
/// the official output layout, bad input named in one sentence, a bad image skipped and counted.
/// </summary>
public sealed class PretrainRunTests : TorchTest
{
    private static TempDir CopyFixtures(string name)
    {
        var dir = Paths.TempDir(name);
        foreach (var f in Directory.GetFiles(Paths.Fixture("pretrain"))) File.Copy(f, Path.Combine(dir.FullName, Path.GetFileName(f)));
        return dir;
    }

    /// <summary>A run that exercises every random choice: shuffling, flips, a random subset of each image's proposals.</summary>
    private static PretrainOptions Options(string dir, long steps = 3) => new()
    {
        Model = new() { Teacher = Path.Combine(dir, "teacher.pth"), Student = Path.Combine(dir, "student.pth"), Vocabulary = Path.Combine(dir, "bpe_tiny.txt") },
        Data = new() { Captions = Path.Combine(dir, "captions.jsonl") },
        Regions = new() { Source = RegionSource.File, Proposals = Path.Combine(dir, "proposals.json"), PerImage = 3 },
        Concepts = new() { Student = Path.Combine(dir, "concepts.pth"), Threshold = 0.5 },
        Input = new() { MinSize = 64, MaxSize = 96 },
        Solver = new() { BatchSize = 2, MaxSteps = steps, BaseLr = 0.01, WarmupSteps = 2, Steps = [2], CheckpointEvery = 1 },
        Out = Path.Combine(dir, "out"),
        Seed = 7,
    };

    [Fact]
    public void ResumingAfterACrashEndsIdentical()
    {
        using var dir = CopyFixtures("resume");
        var straight = Options(dir.FullName) with { Out = dir.File("straight") };
        using (var trainer = RegionTextPretrainer.Create(straight)) trainer.Run();

        var crashed = Options(dir.FullName) with { Out = dir.File("crashed") };
        using (var trainer = RegionTextPretrainer.Create(crashed))
        {
            trainer.StepCompleted += r => { if (r.Step == 2) throw new InvalidOperationException("killed"); };
            Assert.Throws<InvalidOperationException>(() => trainer.Run());
        }
        using (var trainer = RegionTextPretrainer.Create(crashed with { Resume = true }))
        {
            Assert.Equal(1, trainer.ResumedFromStep);   // step 2 died before its checkpoint
            trainer.Run();
        }

        var a = JsonLinesLog<PretrainStepRecord>.Read(Path.Combine(straight.Out, RegionTextPretrainer.LogFile), PretrainStepRecord.Json);
        var b = JsonLinesLog<PretrainStepRecord>.Read(Path.Combine(crashed.Out, RegionTextPretrainer.LogFile), PretrainStepRecord.Json);
        Assert.Equal(a.Select(r => (r.Step, r.LearningRate, r.Total, r.KeptRegions)), b.Select(r => (r.Step, r.LearningRate, r.Total, r.KeptRegions)));
        Assert.Equal([0.01 * 0.001, 0.01 * (0.001 * 0.5 + 0.5) * 1, 0.01 * 0.1], a.Select(r => Math.Round(r.LearningRate, 12)).ToArray());
        var x = Checkpoint.LoadStateDict(Path.Combine(straight.Out, RegionTextPretrainer.FinalFile));
        var y = Checkpoint.LoadStateDict(Path.Combine(crashed.Out, RegionTextPretrainer.FinalFile));
        try
        {
            Assert.Equal(x.Keys, y.Keys);
            foreach (var (k, v) in x) Assert.True(v.equal(y[k]), $"{k} differs after resume");
        }
        finally
        {
            foreach (var t in x.Values.Concat(y.Values)) t.Dispose();
        }
    }

    [Fact]
    public void TheFinalModelHasTheOfficialLayoutAndLoadsForDetection()
    {
        using var dir = CopyFixtures("final");
        var options = Options(dir.FullName, steps: 1);
        using var trainer = RegionTextPretrainer.Create(options);
        var result = trainer.Run();
        var state = Checkpoint.LoadStateDict(result.ModelPath);
        try
        {
            Assert.Contains("backbone.attnpool.c_proj.weight", state.Keys);
            Assert.Contains("teacher_backbone.layer4.0.conv1.weight", state.Keys);
            Assert.Contains("lang_encoder.token_embedding.weight", state.Keys);
            Assert.DoesNotContain("lang_encoder.logit_scale", state.Keys);
            Assert.DoesNotContain(state.Keys, k => k.StartsWith("visual.", StringComparison.Ordinal) || k.Contains("num_batches_tracked", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
        using var loaded = RegionClipModel.Load(result.ModelPath);
        Assert.True(loaded.HasTextTower);
        var trained = trainer.Model.Student.Visual.state_dict();
        foreach (var (k, v) in loaded.Visual.state_dict()) Assert.True(v.equal(trained[k]), $"{k}: the file's student is not the trained one");
    }

    [Fact]
    public void AnUnreadableImageIsSkippedAndCountedAndAMissingOneNamed()
    {
        using var dir = CopyFixtures("bad-images");
        File.WriteAllText(dir.File("img1.png"), "not a png");
        File.AppendAllText(dir.File("captions.jsonl"), "{\"image\": \"gone.png\", \"caption\": \"a missing image\"}\n");
        var warnings = new List<string>();
        using var trainer = RegionTextPretrainer.Create(Options(dir.FullName, steps: 4), warnings.Add);
        var result = trainer.Run();
        Assert.Equal(4, result.Steps);
        Assert.Equal(1, result.SkippedImages);
        Assert.Contains(warnings, w => w.Contains("1 of 5 images are missing", StringComparison.Ordinal) && w.Contains("'gone.png'", StringComparison.Ordinal));
        Assert.Single(warnings, w => w.Contains("img1.png", StringComparison.Ordinal));
        var log = JsonLinesLog<PretrainStepRecord>.Read(result.LogPath, PretrainStepRecord.Json);
        Assert.All(log, r => Assert.Equal(2, r.Images));   // the bad image's place went to the next readable one
    }

    [Fact]
    public void BadInputIsNamedInOneSentence()
    {
        using var dir = CopyFixtures("bad-input");
        var options = Options(dir.FullName, steps: 1);

        File.WriteAllText(dir.File("empty.txt"), "# no concepts\n");
        var empty = Assert.Throws<InvalidDataException>(() => RegionTextPretrainer.Create(options with { Concepts = options.Concepts with { Student = dir.File("empty.txt") } }));
        Assert.Contains("concepts.student", empty.Message);
        Assert.Contains("empty.txt", empty.Message);

        using (var narrow = ConceptPool.FromEmbeddings(torch.randn(5, 8))) narrow.Save(dir.File("narrow.pth"));
        var width = Assert.Throws<ArgumentException>(() => RegionTextPretrainer.Create(options with { Concepts = options.Concepts with { Teacher = dir.File("narrow.pth") } }));
        Assert.Contains("8 dimensions", width.Message);
        Assert.Contains("teacher", width.Message);

        File.WriteAllText(dir.File("none.jsonl"), "{\"image\": \"a.png\", \"caption\": \"x\"}\n{\"image\": \"b.png\", \"caption\": \"y\"}\n");
        var missing = Assert.Throws<FileNotFoundException>(() => RegionTextPretrainer.Create(options with { Data = options.Data with { Captions = dir.File("none.jsonl") } }));
        Assert.Contains("none of its 2 images", missing.Message);

        File.WriteAllText(dir.File("broken.jsonl"), "{\"image\": \"img0.png\", \"caption\": \"x\"}\n{\"image\": \"img1.png\"\n");
        var broken = Assert.Throws<InvalidDataException>(() => RegionTextPretrainer.Create(options with { Data = options.Data with { Captions = dir.File("broken.jsonl") } }));
        Assert.Contains("broken.jsonl:2", broken.Message);

        var noTeacher = Assert.Throws<ArgumentException>(() => RegionTextPretrainer.Create(options with { Model = options.Model with { Teacher = null } }));
        Assert.StartsWith("model.teacher:", noTeacher.Message);
        Assert.False(Directory.Exists(options.Out) && Directory.GetFiles(options.Out).Length > 0, "a refused run must not leave files");
    }

    [Theory]
    [InlineData(RegionSource.Rpn, 7)]
    [InlineData(RegionSource.Random, 5)]
    [InlineData(RegionSource.Grid, 9)]
    public void EveryRegionSourceTrains(RegionSource source, int perImage)
    {
        using var dir = CopyFixtures(source.ToString());
        var options = Options(dir.FullName, steps: 2) with
        {
            Regions = new() { Source = source, Rpn = Paths.Fixture("rpn", "rpn_fpn.pth"), PerImage = perImage, RpnTopK = 50 },
            Solver = new() { BatchSize = 2, MaxSteps = 2, BaseLr = 0.01, WarmupSteps = 0 },
        };
        using var trainer = RegionTextPretrainer.Create(options);
        var records = new List<PretrainStepRecord>();
        trainer.StepCompleted += records.Add;
        trainer.Run();
        Assert.Equal(2, records.Count);
        foreach (var r in records)
        {
            Assert.InRange(r.Regions, 1, 2 * perImage);
            Assert.True(double.IsFinite(r.Total) && r.Total > 0, $"step {r.Step}: loss {r.Total}");
        }
        if (source != RegionSource.Rpn) Assert.All(records, r => Assert.Equal(2 * perImage, r.Regions));   // random draws and the 30-box grid fill every image
    }

    [Fact]
    public void TheOfficialTsvPairsTrainLikeTheJsonLines()
    {
        // An image TSV (key, base64 PNG) and a text TSV (key, {"captions": […]} or a plain caption) of the same four pairs.
        using var dir = CopyFixtures("tsv");
        var lines = File.ReadAllLines(dir.File("captions.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        File.WriteAllLines(dir.File("images.tsv"), lines.Select(l => $"{l.GetProperty("image").GetString()}\t{Convert.ToBase64String(File.ReadAllBytes(dir.File(l.GetProperty("image").GetString()!)))}"));
        File.WriteAllLines(dir.File("texts.tsv"), lines.Select((l, i) => i % 2 == 0
            ? $"{l.GetProperty("image").GetString()}\t{{\"captions\": [\"{l.GetProperty("caption").GetString()}\"]}}"
            : $"{l.GetProperty("image").GetString()}\t{l.GetProperty("caption").GetString()}"));
        var jsonl = Options(dir.FullName, steps: 2) with { Out = dir.File("jsonl"), Data = new() { Captions = dir.File("captions.jsonl"), Shuffle = false } };
        var tsv = jsonl with { Out = dir.File("tsv"), Data = new() { Captions = dir.File("texts.tsv"), Images = dir.File("images.tsv"), Shuffle = false } };
        double[] Run(PretrainOptions o)
        {
            using var trainer = RegionTextPretrainer.Create(o);
            return [.. JsonLinesLog<PretrainStepRecord>.Read(trainer.Run().LogPath, PretrainStepRecord.Json).Select(r => r.Total)];
        }
        Assert.Equal(Run(jsonl), Run(tsv));

        File.WriteAllLines(dir.File("short.tsv"), File.ReadAllLines(dir.File("texts.tsv")).Take(3));
        var mismatch = Assert.Throws<InvalidDataException>(() => RegionTextPretrainer.Create(tsv with { Data = tsv.Data with { Captions = dir.File("short.tsv") } }));
        Assert.Contains("4 rows", mismatch.Message);
        Assert.Contains("3", mismatch.Message);
    }

    [Fact]
    public void ConfigFileSectionsAndCommandLineOverridesFillTheOptions()
    {
        using var dir = Paths.TempDir();
        var yaml = dir.File("pretrain.yaml");
        File.WriteAllText(yaml, "model:\n  teacher: teacher.pth\nsolver:\n  base_lr: 0.02\n  steps: [100, 200]\nregions:\n  source: file\n  per_image: 50\n");
        var options = OptionsFile<PretrainOptions>.Load(yaml);
        Assert.Equal(Path.Combine(dir.FullName, "teacher.pth"), options.Model.Teacher);
        Assert.Equal(0.02, options.Solver.BaseLr);
        Assert.Equal([100L, 200L], options.Solver.Steps);
        Assert.Equal(RegionSource.File, options.Regions.Source);
        Assert.Equal(0.9, options.Solver.Momentum);   // untouched fields keep their defaults

        var overridden = OptionsFile<PretrainOptions>.Override(options, ["solver.base_lr=0.5", "loss.distillation=0", "concepts.student=pool.txt"], dir.FullName);
        Assert.Equal(0.5, overridden.Solver.BaseLr);
        Assert.Equal(0.0, overridden.Loss.Distillation);
        Assert.Equal(Path.Combine(dir.FullName, "pool.txt"), overridden.Concepts.Student);
        Assert.Equal(50, overridden.Regions.PerImage);

        File.WriteAllText(yaml, "solver:\n  base_lr: 0.02\n  lerning_rate: 3\n");
        var unknown = Assert.Throws<InvalidDataException>(() => OptionsFile<PretrainOptions>.Load(yaml));
        Assert.Contains("pretrain.yaml:3", unknown.Message);
        Assert.Contains("'solver.lerning_rate'", unknown.Message);
        var badSet = Assert.Throws<InvalidDataException>(() => OptionsFile<PretrainOptions>.Override(options, ["solver.max_steps=ten"], dir.FullName));
        Assert.Contains("solver.max_steps", badSet.Message);
        Assert.Throws<InvalidDataException>(() => OptionsFile<PretrainOptions>.Override(options, ["solver.base_lr"], dir.FullName));
    }
}
