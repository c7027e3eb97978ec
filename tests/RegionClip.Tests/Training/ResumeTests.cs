using System.Text.Json;
using RegionClip.Training.Engine;
using RegionClip.Modeling.Clip;
using RegionClip.Torch.Serialization;
using RegionClip.Training;

namespace RegionClip.Tests.Training;

/// <summary>
/// Checkpoints and exact resume on a tiny run (6 steps, a checkpoint every 2), single-threaded:
/// an interrupted run continued with resume ends with bit-identical weights, BN statistics and
/// per-step losses.
/// </summary>
public sealed class ResumeTests(TinyWorld world) : TorchTest, IClassFixture<TinyWorld>
{
    private sealed class StopAt(long step, Action stop) : IProgress<TeacherProgress>
    {
        public void Report(TeacherProgress p)
        {
            if (p.Phase == TeacherPhase.Training && p.Last?.Step == step) stop();
        }
    }

    [Fact]
    public void ResumingAfterACrashEndsBitIdentical()
    {
        // A crash (an exception, like a kill) at step 3: the last checkpoint is step 2; step 3 is redone.
        RunBoth((trainer, _) => Assert.Throws<InvalidOperationException>(() =>
            trainer.Run(evaluate: false, progress: new StopAt(3, () => throw new InvalidOperationException("killed")))), expectedResumeStep: 2);
    }

    [Fact]
    public void ResumingAfterCancellationEndsBitIdentical()
    {
        // Ctrl+C at step 3: the trainer writes a checkpoint where it stopped.
        RunBoth((trainer, cts) => Assert.ThrowsAny<OperationCanceledException>(() =>
            trainer.Run(evaluate: false, progress: new StopAt(3, cts.Cancel), cancel: cts.Token)), expectedResumeStep: 3);
    }

    [Fact]
    public void TheCheckpointLoadsAsClipAndNamesWhatIsWrongWithABadOne()
    {
        using var dir = Paths.TempDir();
        var threads = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            var result = new ClipTeacherTrainer(world.Dir, dir.FullName, TinyWorld.TinyTeacherWith(s => s with { Epochs = 1 })).Run(evaluate: false);
            Assert.Equal(3, result.Steps);
            using var fromCheckpoint = ClipModel.Load(result.CheckpointPath);   // its "model" entry is a CLIP state dict
            using var fromTeacher = ClipModel.Load(result.TeacherPath);
            using (torch.NewDisposeScope())
                foreach (var (k, t) in fromTeacher.state_dict()) Assert.True(t.equal(fromCheckpoint.state_dict()[k]), k);
            using var ckpt = TrainingCheckpoint.Read(result.CheckpointPath);
            Assert.Equal(new TrainingState(3, 3, 1, 0, 11, ckpt.State.Seconds, 12), ckpt.State);
            // Every section round-trips (records compare arrays by reference, so compare their JSON).
            Assert.Equal(JsonSerializer.Serialize(TinyWorld.TinyTeacherWith(s => s with { Epochs = 1 })), JsonSerializer.Serialize(ckpt.Options));
            Assert.Equal(32, ckpt.Options.Model.Resolution);
        }
        finally
        {
            torch.set_num_threads(threads);
        }
        Checkpoint.SaveStateDict(new Dictionary<string, Tensor>(), dir.File("empty.pth"));
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Read(dir.File("empty.pth")));
        Assert.Contains("empty.pth", e.Message);
        Assert.Contains("\"options\"", e.Message);
    }

    [Fact]
    public void AMinutesRunFixesItsLengthFromTheFirstStepsAndKeepsIt()
    {
        using var dir = Paths.TempDir();
        // A budget already spent when the speed is known: the run stops after its timing steps (1 + 4).
        var result = new ClipTeacherTrainer(world.Dir, dir.FullName, TinyWorld.TinyTeacherWith(s => s with { Epochs = null, Minutes = 1e-6 })).Run(evaluate: false);
        Assert.Equal(5, result.Steps);
        Assert.Equal(5, TrainingLog.Read(result.LogPath).Count);
        using var ckpt = TrainingCheckpoint.Read(result.CheckpointPath);
        Assert.Equal(5, ckpt.State.TotalSteps);
    }

    private void RunBoth(Action<ClipTeacherTrainer, CancellationTokenSource> interrupt, long expectedResumeStep)
    {
        using var straight = Paths.TempDir();
        using var broken = Paths.TempDir();
        var threads = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            var options = TinyWorld.TinyTeacher;
            var full = new ClipTeacherTrainer(world.Dir, straight.FullName, options).Run(evaluate: false);
            Assert.Equal(6, full.Steps);

            using (var cts = new CancellationTokenSource()) interrupt(new ClipTeacherTrainer(world.Dir, broken.FullName, options), cts);
            using (var stopped = TrainingCheckpoint.Read(Path.Combine(broken.FullName, ClipTeacherTrainer.CheckpointFile)))
                Assert.Equal(expectedResumeStep, stopped.State.Step);
            // Resume ignores the options it is given: the checkpoint's are used.
            var resumed = new ClipTeacherTrainer(world.Dir, broken.FullName, TinyWorld.TinyTeacherWith(s => s with { LearningRate = 0.5, Epochs = 9 })).Run(resume: true, evaluate: false);
            Assert.Equal(expectedResumeStep, resumed.ResumedFromStep);
            Assert.Equal(6, resumed.Steps);

            var a = Checkpoint.LoadStateDict(full.TeacherPath);
            var b = Checkpoint.LoadStateDict(resumed.TeacherPath);
            try
            {
                Assert.Equal(a.Keys, b.Keys);
                Assert.Contains("visual.bn1.running_mean", a.Keys);
                foreach (var (k, t) in a) Assert.True(t.equal(b[k]), $"{k} differs after resume");
            }
            finally
            {
                foreach (var t in a.Values.Concat(b.Values)) t.Dispose();
            }
            var logA = TrainingLog.Read(full.LogPath);
            var logB = TrainingLog.Read(resumed.LogPath);
            Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), logB.Select(r => r.Step));
            Assert.Equal(logA.Select(r => (r.Epoch, r.Loss, r.LearningRate, r.Temperature)), logB.Select(r => (r.Epoch, r.Loss, r.LearningRate, r.Temperature)));
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }
}
