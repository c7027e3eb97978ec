using System.Diagnostics;
using RegionClip.Cli;
using RegionClip.Data;
using RegionClip.Torch.Serialization;
using RegionClip.Training.Engine;
using RegionClip.Training.Pretraining;
using RegionClip.Training.Rpn;

namespace RegionClip.Tests.Training.Distributed;

/// <summary>
/// Trainers as data-parallel jobs of two processes (the CLI, one libtorch thread each) against one process with the
/// whole global batch: the RPN (a per-image-mean loss, frozen BN) ends with the same weights; pretraining's image–text
/// loss sees the whole batch through the gather while its region losses are each rank's own; two ranks sharing a transfer
/// evaluation report one process's numbers; a rank that dies stops the other with a clear error, and the job resumes
/// from the last checkpoint.
/// </summary>
public sealed class DataParallelTrainingTests(TinyWorld world) : TorchTest, IClassFixture<TinyWorld>
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private string RpnConfig(TempDir dir, int steps, int checkpointEvery = 200)
    {
        var path = dir.File("rpn.yaml");
        File.WriteAllText(path, $"""
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
              freeze_backbone: true
            input:
              min_size: 48
              max_size: 64
              horizontal_flip: false
            evaluation:
              images: 0
            solver:
              batch_size: 4
              steps: {steps}
              warmup_steps: 2
              checkpoint_every: {checkpointEvery}
            """);
        return path;
    }

    [Fact]
    public void TwoRpnProcessesEndWithTheWeightsOfOneProcessWithTheWholeBatch()
    {
        using var dir = Paths.TempDir();
        var config = RpnConfig(dir, steps: 5);
        using (var one = JobProcess.Cli(null, "train-rpn", "--config", config, "--out", dir.File("one")))
            one.AssertSucceeds(Limit, "one process");
        using (var two = JobProcess.Cli(null, "train-rpn", "--config", config, "--out", dir.File("two"), "--nproc-per-node", "2"))
            two.AssertSucceeds(Limit, "two processes");

        var a = Checkpoint.LoadStateDict(Path.Combine(dir.File("one"), RpnTrainer.ModelFile));
        var b = Checkpoint.LoadStateDict(Path.Combine(dir.File("two"), RpnTrainer.ModelFile));
        try
        {
            Assert.Equal(a.Keys, b.Keys);
            foreach (var (k, v) in a)
            {
                using var scope = torch.NewDisposeScope();
                var diff = (v.to(ScalarType.Float64) - b[k].to(ScalarType.Float64)).abs().max();
                Assert.True(diff.item<double>() <= 1e-5, $"{k} differs by {diff.item<double>()}");
            }
        }
        finally
        {
            foreach (var t in a.Values.Concat(b.Values)) t.Dispose();
        }
        // The logged losses are the job's (the mean over ranks of per-image means): the one-process values.
        var la = File.ReadAllLines(Path.Combine(dir.File("one"), RpnTrainer.LogFile)).Skip(1).Select(l => double.Parse(l.Split(',')[4], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var lb = File.ReadAllLines(Path.Combine(dir.File("two"), RpnTrainer.LogFile)).Skip(1).Select(l => double.Parse(l.Split(',')[4], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(5, lb.Count);
        for (int i = 0; i < 5; i++) Assert.Equal(la[i], lb[i], 6);
        Assert.NotEqual(la[0], la[4], 3);   // it trained: the weights compared above moved
    }

    [Fact]
    public void TwoProcessesShareTheTransferEvaluationAndReportTheNumbersOfOne()
    {
        using var dir = Paths.TempDir("train-eval-ddp");
        foreach (var f in Directory.GetFiles(Paths.Fixture("train"))) File.Copy(f, Path.Combine(dir.FullName, Path.GetFileName(f)));
        var config = dir.File("train.yaml");
        File.WriteAllText(config, $"""
            model:
              init: {dir.File("init.pth")}
            data:
              train_annotations: {dir.File("instances.json")}
              test_annotations: {dir.File("instances.json")}
              split: {dir.File("split.json")}
              categories: all
              train_concepts: {dir.File("test_concepts.pth")}
              test_concepts: {dir.File("test_concepts.pth")}
            regions:
              source: file
              proposals: {dir.File("proposals.json")}
              per_image: 8
            input:
              min_sizes: [64]
              max_size: 96
              test_min_size: 64
              horizontal_flip: false
            solver:
              batch_size: 2
              max_steps: 2
              warmup_steps: 0
            evaluation:
              enabled: true
            """);
        var result = Path.Combine(dir.File("out"), "train_result.json");
        using (var one = JobProcess.Cli(null, "train", "--config", config, "--out", dir.File("out")))
            one.AssertSucceeds(Limit, "one process");
        var a = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(result))!["evaluation"]!;
        File.Delete(result);
        // Resuming the finished run evaluates the same weights again, now by two ranks, each on its half of the test images.
        using (var two = JobProcess.Cli(null, "train", "--config", config, "--out", dir.File("out"), "--resume", "--nproc-per-node", "2"))
            two.AssertSucceeds(Limit, "two processes");
        var b = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(result))!["evaluation"]!;
        Assert.Equal(4, (int)a["images"]!);
        Assert.True((int)a["detections"]! > 0, "the reference run detected nothing, so nothing is compared");
        Assert.Equal((int)a["detections"]!, (int)b["detections"]!);
        Assert.Equal(a["split"]!.ToJsonString(), b["split"]!.ToJsonString());
        Assert.Equal(a["metrics"]!.ToJsonString(), b["metrics"]!.ToJsonString());
    }

    /// <summary>The pretraining parity fixtures with every image cropped to 56×64, so that a batch pads alike however it is split.</summary>
    private static TempDir PretrainFixtures()
    {
        var dir = Paths.TempDir("pretrain-ddp");
        foreach (var f in Directory.GetFiles(Paths.Fixture("pretrain"))) File.Copy(f, Path.Combine(dir.FullName, Path.GetFileName(f)));
        for (int i = 0; i < 4; i++)
        {
            var path = dir.File($"img{i}.png");
            using var scope = torch.NewDisposeScope();
            ImageIO.WritePng(ImageIO.Read(path).narrow(0, 0, 56).narrow(1, 0, 64).contiguous(), path);
        }
        return dir;
    }

    private static string PretrainConfig(TempDir dir, int batch, int steps)
    {
        var path = dir.File($"pretrain_b{batch}.yaml");
        File.WriteAllText(path, $"""
            model:
              teacher: {dir.File("teacher.pth")}
              student: {dir.File("student.pth")}
              vocabulary: {dir.File("bpe_tiny.txt")}
            data:
              captions: {dir.File("captions.jsonl")}
              shuffle: false
            regions:
              source: random
              per_image: 3
            concepts:
              student: {dir.File("concepts.pth")}
              threshold: 0.5
            input:
              min_size: 56
              max_size: 64
              horizontal_flip: false
            solver:
              batch_size: {batch}
              max_steps: {steps}
              base_lr: 1.0e-12
              warmup_steps: 0
            seed: 7
            """);
        return path;
    }

    [Fact]
    public void PretrainingGathersTheImageTextLossAndKeepsEachRanksRegionLosses()
    {
        using var dir = PretrainFixtures();
        IReadOnlyList<PretrainStepRecord> Run(string name, int batch, int steps, params string[] extra)
        {
            using (var p = JobProcess.Cli(null, ["pretrain", "--config", PretrainConfig(dir, batch, steps), "--out", dir.File(name), .. extra]))
                p.AssertSucceeds(Limit, name);
            return JsonLinesLog<PretrainStepRecord>.Read(Path.Combine(dir.File(name), RegionTextPretrainer.LogFile), PretrainStepRecord.Json);
        }
        // The learning rate is negligible, so the model is the same at every step: a batch-1 run's steps 2s and 2s+1 are
        // ranks 0 and 1 of the two-process run's step s (same images, same region draws).
        var whole = Run("whole", batch: 2, steps: 2);
        var ranks = Run("ranks", batch: 2, steps: 2, "--nproc-per-node", "2");
        var single = Run("single", batch: 1, steps: 4);
        static void Close(double expected, double actual, string what) =>
            Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");
        for (int s = 0; s < 2; s++)
        {
            var (r0, r1) = (single[2 * s], single[2 * s + 1]);
            Assert.True(whole[s].ImageText > 0.01, "a batch of two has an image–text loss to gather");
            Close(whole[s].ImageText, ranks[s].ImageText, $"step {s + 1} loss_img_txt_level (gathered)");
            Close((r0.Distillation + r1.Distillation) / 2, ranks[s].Distillation, $"step {s + 1} loss_region_distill (mean of the ranks' own)");
            Close((r0.Contrastive + r1.Contrastive) / 2, ranks[s].Contrastive, $"step {s + 1} loss_concept_contrastive (mean of the ranks' own)");
            Assert.Equal(r0.KeptRegions + r1.KeptRegions, ranks[s].KeptRegions);
            Assert.Equal(whole[s].KeptRegions, ranks[s].KeptRegions);
        }
    }

    [Fact]
    public void TrainedOnTheGatheredImageTextLossAloneTwoProcessesEndWithTheWeightsOfOne()
    {
        // The gather's backward sums each rank's gradient back to the owner: with the region losses off (they are
        // per process), two processes train exactly as one with the whole batch.
        using var dir = PretrainFixtures();
        string Run(string name, params string[] extra)
        {
            var config = PretrainConfig(dir, batch: 2, steps: 3);
            File.WriteAllText(config, File.ReadAllText(config).Replace("base_lr: 1.0e-12", "base_lr: 0.05") + "\nloss:\n  distillation: 0\n  contrastive: 0\n");
            using (var p = JobProcess.Cli(null, ["pretrain", "--config", config, "--out", dir.File(name), .. extra]))
                p.AssertSucceeds(Limit, name);
            return Path.Combine(dir.File(name), RegionTextPretrainer.FinalFile);
        }
        var one = Checkpoint.LoadStateDict(Run("one"));
        var two = Checkpoint.LoadStateDict(Run("two", "--nproc-per-node", "2"));
        var start = Checkpoint.LoadStateDict(dir.File("student.pth"));
        try
        {
            double moved = 0;
            foreach (var (k, v) in one.Where(kv => kv.Key.StartsWith("backbone.", StringComparison.Ordinal)))
            {
                using var scope = torch.NewDisposeScope();
                var diff = (v.to(ScalarType.Float64) - two[k].to(ScalarType.Float64)).abs().max().item<double>();
                Assert.True(diff <= 1e-5, $"{k} differs by {diff}");
                var key = "visual." + k["backbone.".Length..];
                if (start.TryGetValue(key, out var s0)) moved = Math.Max(moved, (v.to(ScalarType.Float64) - s0.to(ScalarType.Float64)).abs().max().item<double>());
            }
            Assert.True(moved > 1e-4, $"the student hardly trained (largest change {moved})");
        }
        finally
        {
            foreach (var t in one.Values.Concat(two.Values).Concat(start.Values)) t.Dispose();
        }
    }

    [Fact]
    public void ARankThatDiesStopsTheOtherWithAClearErrorAndTheJobResumes()
    {
        using var dir = Paths.TempDir();
        var config = RpnConfig(dir, steps: 400, checkpointEvery: 10);
        var port = DistributedLaunch.FreePort();
        var log = Path.Combine(dir.File("out"), RpnTrainer.LogFile);
        using var rank0 = JobProcess.Cli(JobProcess.RankEnvironment(0, 2, port, timeoutSeconds: 30), "train-rpn", "--config", config, "--out", dir.File("out"));
        using var rank1 = JobProcess.Cli(JobProcess.RankEnvironment(1, 2, port, timeoutSeconds: 30), "train-rpn", "--config", config, "--out", dir.File("out"));
        var clock = Stopwatch.StartNew();
        while (!File.Exists(log) || File.ReadLines(log).Count() < 50)
        {
            Assert.False(rank0.HasExited || rank1.HasExited, $"a rank ended before step 50:\n{rank0.Stderr}\n{rank1.Stderr}");
            Assert.True(clock.Elapsed < Limit, "the job did not reach step 50 in time");
            Thread.Sleep(50);
        }
        rank1.Kill();
        clock.Restart();
        var code = rank0.Wait(TimeSpan.FromSeconds(60));
        Assert.True(code == 1, $"rank 0 exited with {code} {clock.Elapsed.TotalSeconds:F1} s after rank 1 died:\n{rank0.Stderr}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"rank 0 took {clock.Elapsed.TotalSeconds:F1} s to notice (the collective timeout is 30 s)");
        Assert.Contains("rank 0 of 2", rank0.Stderr);
        Assert.Contains("another process of the job has stopped", rank0.Stderr);

        // The last checkpoint is whole: the job resumes from it and finishes.
        using (var checkpoint = RpnTrainingCheckpoint.Read(Path.Combine(dir.File("out"), RpnTrainer.CheckpointFile)))
            Assert.True(checkpoint.State.Step >= 40, $"checkpoint at step {checkpoint.State.Step}");
        using var resumed = JobProcess.Cli(null, "train-rpn", "--out", dir.File("out"), "--resume", "--nproc-per-node", "2");
        resumed.AssertSucceeds(Limit, "the resumed job");
        Assert.Equal(401, File.ReadLines(log).Count());   // header + 400 steps, none twice
    }
}
