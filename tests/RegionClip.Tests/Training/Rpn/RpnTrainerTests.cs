using RegionClip.Data;
using RegionClip.Data.Datasets;
using RegionClip.Evaluation;
using RegionClip.Modeling.Proposals;
using RegionClip.Tests.Cli;
using RegionClip.Tests.Training;
using RegionClip.Torch.Serialization;
using RegionClip.Training.Rpn;

namespace RegionClip.Tests.Training.Rpn;

/// <summary>
/// train-rpn end to end on the tiny synthetic world (12 train / 8 val images of 64×48): outputs,
/// base-only targets, and exact resume after a crash or a cancellation (single-threaded).
/// </summary>
public sealed class RpnTrainerTests(TinyWorld world) : TorchTest, IClassFixture<TinyWorld>
{
    private RpnTrainingOptions Tiny(string outDir, int evalImages = 4, int evalEvery = 0) => new()
    {
        Data = new() { World = world.Dir, BaseOnly = true },
        Model = new() { Kind = RpnKind.C4, Depths = [1, 1, 1], StemChannels = 4, Res2Channels = 8, BottleneckChannels = 2, AnchorSizes = [[8, 16, 32]] },
        Input = new() { MinSize = 48, MaxSize = 64 },
        Solver = new() { BatchSize = 4, Steps = 6, CheckpointEvery = 2, WarmupSteps = 2 },
        Evaluation = new() { Images = evalImages, Every = evalEvery, TopK = [10, 50] },
        Out = outDir, Seed = 5,
    };

    private static string JsonOf(RpnTrainingOptions o) => System.Text.Json.JsonSerializer.Serialize(o, RpnTrainingCheckpoint.Json);

    private sealed class StopAt(long step, Action stop) : IProgress<RpnProgress>
    {
        public void Report(RpnProgress p)
        {
            if (p.Phase == RpnPhase.Training && p.Last?.Step == step) stop();
        }
    }

    [Fact]
    public void ARunWritesAModelACheckpointAndLogsWithRecall()
    {
        using var dir = Paths.TempDir();
        var result = RpnTrainer.Run(Tiny(dir.FullName, evalEvery: 3));
        Assert.Equal(6, result.Steps);
        Assert.Equal(4, result.BatchSize);
        using (var network = ProposalNetwork.Load(result.ModelPath))
        {
            Assert.Equal(RpnKind.C4, network.Kind);
            Assert.Equal(9, network.Config.NumAnchors);
        }
        using (var fromCheckpoint = ProposalNetwork.Load(result.CheckpointPath)) Assert.Equal(9, fromCheckpoint.Config.NumAnchors);
        Assert.Equal(6, RpnTrainingLog.Read(result.LogPath).Count);
        var evaluations = RpnTrainingLog.ReadEvaluations(result.JsonLogPath);
        Assert.Equal([3L, 6], evaluations.Select(e => e.Step));
        var recall = Assert.IsType<ProposalRecall>(result.Recall);
        Assert.Equal(4, recall.Images);
        Assert.Equal([10, 50], recall.AtK.Select(a => a.K));
        Assert.Equal(recall.At(50).All.Total, recall.At(50).Base.Total + recall.At(50).Novel.Total);
        Assert.True(recall.At(50).All.Found >= recall.At(10).All.Found);
        using var ckpt = RpnTrainingCheckpoint.Read(result.CheckpointPath);
        Assert.Equal(6, ckpt.State.Step);
        Assert.Equal(result.TrainImages, ckpt.State.Images);
        Assert.Equal(Tiny(dir.FullName).Resolved().Data.TrainAnnotations, ckpt.Options.Data.TrainAnnotations);
        Assert.Equal(JsonOf(Tiny(dir.FullName, evalEvery: 3).Resolved()), JsonOf(ckpt.Options));   // every section round-trips
    }

    [Fact]
    public void BaseOnlyKeepsNovelObjectsOutOfTheTargets()
    {
        var options = Tiny("unused").Resolved().Data;
        var split = CategorySplitFile.Load(options.CategorySplit!);
        var all = RpnDataset.Load(options.TrainAnnotations!, options.TrainImages!, split, baseOnly: false, dropImagesWithoutTargets: true);
        var baseOnly = RpnDataset.Load(options.TrainAnnotations!, options.TrainImages!, split, baseOnly: true, dropImagesWithoutTargets: true);
        var novelBoxes = all.Entries.Sum(e => e.Novel.Count(n => n));
        Assert.True(novelBoxes > 0, "the tiny world should have novel objects");
        Assert.Equal(all.TargetBoxes - novelBoxes, baseOnly.Entries.Sum(e => e.Target.Count(t => t)) + Dropped(all, baseOnly));
        Assert.All(baseOnly.Entries, e => Assert.Equal(e.Novel.Select(n => !n), e.Target));
        using var sample = baseOnly.LoadSample(0, 48, 64, flip: false);
        Assert.Equal(baseOnly[0].Target.Count(t => t), sample.Boxes.size(0));
        Assert.Equal([48L, 64, 3], sample.Image.shape);

        static int Dropped(RpnDataset all, RpnDataset kept)
        {
            var ids = kept.Entries.Select(e => e.Id).ToHashSet();
            return all.Entries.Where(e => !ids.Contains(e.Id)).Sum(e => e.Novel.Count(n => !n));
        }
    }

    [Fact]
    public void AMirroredSampleMirrorsItsBoxes()
    {
        var options = Tiny("unused").Resolved().Data;
        var data = RpnDataset.Load(options.TrainAnnotations!, options.TrainImages!, null, baseOnly: false, dropImagesWithoutTargets: true);
        using var plain = data.LoadSample(0, 48, 64, flip: false);
        using var mirrored = data.LoadSample(0, 48, 64, flip: true);
        using var scope = torch.NewDisposeScope();
        Assert.True(mirrored.Image.equal(plain.Image.flip(1)));
        var expected = torch.stack([64 - plain.Boxes.select(1, 2), plain.Boxes.select(1, 1), 64 - plain.Boxes.select(1, 0), plain.Boxes.select(1, 3)], 1);
        Assert.True(mirrored.Boxes.allclose(expected, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void ResumingAfterACrashEndsBitIdentical() =>
        RunBoth((options, _) => Assert.Throws<InvalidOperationException>(() =>
            RpnTrainer.Run(options, new StopAt(3, () => throw new InvalidOperationException("killed")))), expectedResumeStep: 2);

    [Fact]
    public void ResumingAfterCancellationEndsBitIdentical() =>
        RunBoth((options, cts) => Assert.ThrowsAny<OperationCanceledException>(() =>
            RpnTrainer.Run(options, new StopAt(3, cts.Cancel), cts.Token)), expectedResumeStep: 3);

    private void RunBoth(Action<RpnTrainingOptions, CancellationTokenSource> interrupt, long expectedResumeStep)
    {
        using var straight = Paths.TempDir();
        using var broken = Paths.TempDir();
        var threads = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            var full = RpnTrainer.Run(Tiny(straight.FullName, evalImages: 2));
            using (var cts = new CancellationTokenSource()) interrupt(Tiny(broken.FullName, evalImages: 2), cts);
            using (var stopped = RpnTrainingCheckpoint.Read(Path.Combine(broken.FullName, RpnTrainer.CheckpointFile)))
                Assert.Equal(expectedResumeStep, stopped.State.Step);
            // Resume uses the checkpoint's options, not the ones it is given.
            var given = Tiny(broken.FullName, evalImages: 2);
            var resumed = RpnTrainer.Run(given with { Resume = true, Solver = given.Solver with { LearningRate = 0.5, Steps = 9 } });
            Assert.Equal(JsonOf(given.Resolved()), JsonOf(resumed.Options));
            Assert.Equal(expectedResumeStep, resumed.ResumedFromStep);
            Assert.Equal(6, resumed.Steps);
            var a = Checkpoint.LoadStateDict(full.ModelPath);
            var b = Checkpoint.LoadStateDict(resumed.ModelPath);
            try
            {
                Assert.Equal(a.Keys, b.Keys);
                Assert.Contains("backbone.stem.conv1.norm.running_mean", a.Keys);
                foreach (var (k, t) in a) Assert.True(t.equal(b[k]), $"{k} differs after resume");
            }
            finally
            {
                foreach (var t in a.Values.Concat(b.Values)) t.Dispose();
            }
            var logA = RpnTrainingLog.Read(full.LogPath);
            var logB = RpnTrainingLog.Read(resumed.LogPath);
            Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), logB.Select(r => r.Step));
            Assert.Equal(logA.Select(r => (r.Epoch, r.ObjectnessLoss, r.BoxLoss, r.LearningRate)), logB.Select(r => (r.Epoch, r.ObjectnessLoss, r.BoxLoss, r.LearningRate)));
            Assert.Equal(full.Recall!.At(50).All, resumed.Recall!.At(50).All);
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    [Fact]
    public void TheCommandTrainsFromAConfigAndNamesABadField()
    {
        using var dir = Paths.TempDir();
        File.WriteAllText(dir.File("rpn.yaml"), $"""
            data:
              world: {world.Dir}
              base_only: true
            model:
              kind: c4
              depths: [1, 1, 1]
              stem_channels: 4
              res2_channels: 8
              bottleneck_channels: 2
              anchor_sizes: [8, 16, 32]
            input:
              min_size: 48
              max_size: 64
            evaluation:
              images: 2
              top_k: [10]
            solver:
              batch_size: 4
              steps: 2

            """);
        var (code, stdout, stderr) = CliRunner.Run("train-rpn", "--config", dir.File("rpn.yaml"), "--out", dir.File("out"));
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(stdout);
        Assert.Equal(2, json.GetProperty("training").GetProperty("steps").GetInt64());
        Assert.Equal(10, json.GetProperty("recall").GetProperty("atK")[0].GetProperty("k").GetInt32());
        Assert.True(json.GetProperty("recall").GetProperty("atK")[0].GetProperty("novel").GetProperty("total").GetInt32() >= 0);
        foreach (var f in new[] { RpnTrainer.ModelFile, RpnTrainer.CheckpointFile, RpnTrainer.LogFile, RpnTrainer.JsonLogFile, "rpn.json" })
            Assert.True(File.Exists(Path.Combine(dir.File("out"), f)), $"{f} was not written");
        Assert.Contains("recall@10", stderr);

        // Resuming a finished run needs only its folder: nothing left to train, the same model.
        var before = File.ReadAllBytes(Path.Combine(dir.File("out"), RpnTrainer.ModelFile));
        (code, stdout, stderr) = CliRunner.Run("train-rpn", "--out", dir.File("out"), "--resume");
        Assert.True(code == 0, stderr);
        Assert.Equal(2, CliRunner.Json(stdout).GetProperty("training").GetProperty("resumedFromStep").GetInt64());
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir.File("out"), RpnTrainer.ModelFile)));

        File.AppendAllText(dir.File("rpn.yaml"), "  learnin_rate: 0.1\n");   // into the solver section, the file's last
        (code, _, stderr) = CliRunner.Run("train-rpn", "--config", dir.File("rpn.yaml"), "--out", dir.File("out"));
        Assert.Equal(1, code);
        Assert.Contains("unknown field 'solver.learnin_rate' (did you mean 'learning_rate'?)", stderr);
        File.WriteAllText(dir.File("bad.yaml"), "solver:\n  steps: 0\n");
        (code, _, stderr) = CliRunner.Run("train-rpn", "--config", dir.File("bad.yaml"), "--world", world.Dir);
        Assert.Equal(1, code);
        Assert.Contains("bad.yaml: solver.steps: must be at least 1", stderr);
        (code, _, stderr) = CliRunner.Run("train-rpn", "--world", dir.File("nowhere"), "--out", dir.File("out2"));
        Assert.Equal(1, code);
        Assert.Contains("nowhere' does not exist", stderr);
    }
}
