using System.Text.Json;
using System.Text.Json.Nodes;
using RegionClip.Checkpoints;
using RegionClip.Common;
using RegionClip.Modeling.Clip;
using RegionClip.Structures;
using RegionClip.Modeling.Detection;
using RegionClip.Torch.Serialization;
using RegionClip.Training.Engine;
using RegionClip.Training.Transfer;

namespace RegionClip.Tests.Training.Transfer;

/// <summary>
/// Transfer-learning runs on the tiny parity fixtures (copied to a temporary folder): exact resume after a crash,
/// detectron2's rules for bad boxes, bad input named in one sentence, a bad image skipped and counted, evaluation,
/// the fine-tuned file detecting through <c>detect --model</c>'s path.
/// </summary>
public sealed class TrainRunTests : TorchTest
{
    private static TempDir CopyFixtures(string name)
    {
        var dir = Paths.TempDir(name);
        foreach (var f in Directory.GetFiles(Paths.Fixture("train"))) File.Copy(f, Path.Combine(dir.FullName, Path.GetFileName(f)));
        return dir;
    }

    /// <summary>A run that exercises every random choice: shuffling, two scales, flips, RoI subsampling.</summary>
    private static DetectorTrainOptions Options(string dir, long steps = 3) => new()
    {
        Model = new() { Init = Path.Combine(dir, "init.pth") },
        Data = new()
        {
            TrainAnnotations = Path.Combine(dir, "instances.json"), Split = Path.Combine(dir, "split.json"),
            TrainConcepts = Path.Combine(dir, "train_concepts.pth"), TestConcepts = Path.Combine(dir, "test_concepts.pth"),
        },
        Regions = new() { Source = TrainRegionSource.File, Proposals = Path.Combine(dir, "proposals.json"), PerImage = 8 },
        Input = new() { MinSizes = [56, 64], MaxSize = 96, TestMinSize = 64 },
        Solver = new() { BatchSize = 2, MaxSteps = steps, BaseLr = 0.002, WarmupSteps = 2, Steps = [2], CheckpointEvery = 1 },
        Evaluation = new() { Enabled = false },
        Out = Path.Combine(dir, "out"),
        Seed = 5,
    };

    [Fact]
    public void ResumingAfterACrashEndsIdentical()
    {
        using var dir = CopyFixtures("resume");
        var straight = Options(dir.FullName) with { Out = dir.File("straight") };
        using (var trainer = DetectorTrainer.Create(straight)) trainer.Run();

        var crashed = Options(dir.FullName) with { Out = dir.File("crashed") };
        using (var trainer = DetectorTrainer.Create(crashed))
        {
            trainer.StepCompleted += r => { if (r.Step == 2) throw new InvalidOperationException("killed"); };
            Assert.Throws<InvalidOperationException>(() => trainer.Run());
        }
        using (var trainer = DetectorTrainer.Create(crashed with { Resume = true }))
        {
            Assert.Equal(1, trainer.ResumedFromStep);   // step 2 died before its checkpoint
            trainer.Run();
        }

        var a = JsonLinesLog<DetectorStepRecord>.Read(Path.Combine(straight.Out, DetectorTrainer.LogFile), DetectorStepRecord.Json);
        var b = JsonLinesLog<DetectorStepRecord>.Read(Path.Combine(crashed.Out, DetectorTrainer.LogFile), DetectorStepRecord.Json);
        Assert.Equal(a.Select(r => (r.Step, r.LearningRate, r.Total, r.Rois, r.Foreground)), b.Select(r => (r.Step, r.LearningRate, r.Total, r.Rois, r.Foreground)));
        Assert.Equal([0.002 * 0.001, 0.002 * (0.001 * 0.5 + 0.5), 0.002 * 0.1], a.Select(r => Math.Round(r.LearningRate, 12)).ToArray());
        Assert.All(a, r => Assert.True(r.Rois <= 2 * 8, $"step {r.Step}: {r.Rois} RoIs, more than 8 per image"));
        var x = Checkpoint.LoadStateDict(Path.Combine(straight.Out, DetectorTrainer.FinalFile));
        var y = Checkpoint.LoadStateDict(Path.Combine(crashed.Out, DetectorTrainer.FinalFile));
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
    public void BadBoxesFollowDetectron2AndAnUnreadableImageIsSkippedAndCounted()
    {
        using var dir = CopyFixtures("bad-boxes");
        var json = JsonNode.Parse(File.ReadAllText(dir.File("instances.json")))!;
        var annotations = json["annotations"]!.AsArray();
        int next = annotations.Max(a => (int)a!["id"]!) + 1;
        // img0 (64 × 80) gains a box reaching far outside (clipped) and a zero-area box (dropped); a negative width is an error.
        foreach (var bbox in new[] { new[] { 50.0, 70, 500, 500 }, new[] { 10.0, 10, 0, 5 } })
            annotations.Add(new JsonObject { ["id"] = next++, ["image_id"] = 1, ["category_id"] = 3, ["bbox"] = new JsonArray(bbox.Select(v => (JsonNode)v).ToArray()), ["area"] = 1, ["iscrowd"] = 0 });
        File.WriteAllText(dir.File("instances.json"), json.ToJsonString());
        File.WriteAllText(dir.File("img3.png"), "not a png");

        var warnings = new List<string>();
        using var trainer = DetectorTrainer.Create(Options(dir.FullName, steps: 3) with { Regions = Options(dir.FullName).Regions with { PerImage = 512 } }, warnings.Add);
        var img0 = trainer.Data.Entries.Single(e => e.FileName == "img0.png");
        using (var sample = trainer.Data.LoadSample(trainer.Data.Entries.ToList().IndexOf(img0), 64, 96, flip: false))
        {
            var boxes = Box.FromTensor(sample.Boxes);
            Assert.Contains(boxes, b => b.X2 == 64 && b.Y2 == 80);                        // clipped to the image
            Assert.DoesNotContain(boxes, b => b.Width <= 0 || b.Height <= 0);               // empty ones dropped
        }
        var result = trainer.Run();
        Assert.Equal(3, result.Steps);
        Assert.Equal(1, result.SkippedImages);
        Assert.Single(warnings, w => w.Contains("img3.png", StringComparison.Ordinal));
        var log = JsonLinesLog<DetectorStepRecord>.Read(result.LogPath, DetectorStepRecord.Json);
        Assert.All(log, r => Assert.Equal(2, r.Images));   // the bad image's place went to the next readable one
        Assert.All(log, r => Assert.True(double.IsFinite(r.Total), $"step {r.Step}: loss {r.Total}"));
    }

    [Fact]
    public void BadInputIsNamedInOneSentence()
    {
        using var dir = CopyFixtures("bad-input");
        var options = Options(dir.FullName, steps: 1);

        var json = JsonNode.Parse(File.ReadAllText(dir.File("instances.json")))!;
        json["annotations"]!.AsArray()[0]!["bbox"] = new JsonArray(20, 20, -3, 4);
        File.WriteAllText(dir.File("negative.json"), json.ToJsonString());
        var negative = Assert.Throws<InvalidDataException>(() => DetectorTrainer.Create(options with { Data = options.Data with { TrainAnnotations = dir.File("negative.json") } }));
        Assert.Contains("negative width", negative.Message);
        Assert.Contains("negative.json", negative.Message);

        json = JsonNode.Parse(File.ReadAllText(dir.File("instances.json")))!;
        json["annotations"]!.AsArray()[0]!["category_id"] = 99;
        File.WriteAllText(dir.File("unknown.json"), json.ToJsonString());
        var unknown = Assert.Throws<InvalidDataException>(() => DetectorTrainer.Create(options with { Data = options.Data with { TrainAnnotations = dir.File("unknown.json") } }));
        Assert.Contains("99", unknown.Message);
        Assert.Contains("category", unknown.Message);

        File.WriteAllText(dir.File("absent.json"), "{\"base\": [\"apple\", \"giraffe\"], \"novel\": [\"kite\"]}");
        var absent = Assert.Throws<InvalidDataException>(() => DetectorTrainer.Create(options with { Data = options.Data with { Split = dir.File("absent.json") } }));
        Assert.Contains("\"giraffe\"", absent.Message);

        using (var wrong = torch.randn(4, 16)) ConceptEmbeddingFile.Save(wrong, dir.File("wrong.pth"));
        var rows = Assert.Throws<InvalidDataException>(() => DetectorTrainer.Create(options with { Data = options.Data with { TrainConcepts = dir.File("wrong.pth") } }));
        Assert.StartsWith("data.train_concepts:", rows.Message);
        Assert.Contains("3 classes", rows.Message);

        using (var narrow = torch.randn(3, 8)) ConceptEmbeddingFile.Save(narrow, dir.File("narrow.pth"));
        var width = Assert.Throws<ArgumentException>(() => DetectorTrainer.Create(options with { Data = options.Data with { TrainConcepts = dir.File("narrow.pth") } }));
        Assert.Contains("8 dimensions", width.Message);

        var noSplit = Assert.Throws<ArgumentException>(() => DetectorTrainer.Create(options with { Data = options.Data with { Split = null } }));
        Assert.StartsWith("data.split:", noSplit.Message);
        Assert.False(Directory.Exists(options.Out) && Directory.GetFiles(options.Out).Length > 0, "a refused run must not leave files");
    }

    [Fact]
    public void FullySupervisedTrainsOnEveryCategoryAndEvaluatesNovelBaseAll()
    {
        using var dir = CopyFixtures("supervised");
        var options = Options(dir.FullName, steps: 2) with
        {
            Data = Options(dir.FullName).Data with { Categories = TrainCategories.All, TrainConcepts = dir.File("test_concepts.pth"), TestAnnotations = dir.File("instances.json") },
            Evaluation = new() { Enabled = true },
        };
        using var trainer = DetectorTrainer.Create(options);
        Assert.Equal(4, trainer.Data.Count);                       // img1 (novel boxes only) trains too
        Assert.Equal(5, trainer.Data.TrainCategories.Count);
        var result = trainer.Run();
        Assert.NotNull(result.Evaluation);
        Assert.Equal(4, result.Evaluation.Images);
        Assert.Equal(["AP50_novel", "AP50_base", "AP50_all"], result.Evaluation.Split.Keys.ToArray());
        Assert.All(result.Evaluation.Split.Values, v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void ConfigFileSectionsAndCommandLineOverridesFillTheOptions()
    {
        using var dir = Paths.TempDir("config");
        var yaml = dir.File("train.yaml");
        File.WriteAllText(yaml, "model:\n  init: init.pth\ndata:\n  world: world\n  categories: all\ninput:\n  min_sizes: [240]\nloss:\n  classification: weighted\n");
        var options = OptionsFile<DetectorTrainOptions>.Load(yaml, DetectorTrainOptions.Lvis);
        Assert.Equal(Path.Combine(dir.FullName, "init.pth"), options.Model.Init);
        Assert.Equal(TrainCategories.All, options.Data.Categories);
        Assert.Equal([240], options.Input.MinSizes);
        Assert.Equal(0.8, options.Loss.BackgroundWeight);           // from the LVIS preset
        Assert.Equal(0.001, options.Data.RepeatThreshold);
        var resolved = options.Resolved();
        Assert.Equal(Path.Combine(dir.FullName, "world", "instances_train.json"), resolved.Data.TrainAnnotations);

        var overridden = OptionsFile<DetectorTrainOptions>.Override(options, ["solver.base_lr=0.01", "data.split=coco-ovd"], dir.FullName);
        Assert.Equal(0.01, overridden.Solver.BaseLr);
        Assert.Equal("coco-ovd", overridden.Resolved().Data.Split);

        File.WriteAllText(yaml, "solver:\n  base_lr: 0.02\n  lerning_rate: 3\n");
        var unknown = Assert.Throws<InvalidDataException>(() => OptionsFile<DetectorTrainOptions>.Load(yaml));
        Assert.Contains("train.yaml:3", unknown.Message);
        Assert.Contains("'solver.lerning_rate'", unknown.Message);
    }

    [Fact]
    public void TheFineTunedFileDetectsWithItsRegressorAndOwnEmbeddings()
    {
        using var detector = OpenVocabularyDetector.TryLoad(Paths.Fixture("train", "case_lvis_final.pth"));
        Assert.NotNull(detector);
        Assert.False(detector.Model.HasTextTower);
        Assert.Equal(5, detector.Predictor.TestClsScore!.weight.size(0));
        Assert.Null(OpenVocabularyDetector.TryLoad(Paths.Fixture("train", "init.pth")));   // a plain CLIP has no box predictor

        using var manifest = JsonDocument.Parse(File.ReadAllText(Paths.Fixture("train", "manifest.json")));
        var want = manifest.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "lvis").GetProperty("detections")[0];
        using var image = DetectionImage.Load(Paths.Fixture("train", "img2.png"), new DetectionResize(64, 96));
        var proposals = ProposalsFile.Read(Paths.Fixture("train", "proposals.json")).Assign(["img2.png"])[0];
        using var weights = detector.Predictor.TestClsScore.weight.detach();
        using var pool = ConceptPool.FromEmbeddings(weights.clone(), ["apple", "kite", "coin", "tire", "lemon"], [3, 7, 11, 20, 42]);
        var zeroShot = new ZeroShotDetector(detector.Model, pool, DetectionOptions.Coco) { BoxRegressor = detector.Predictor, RefineGivenRegions = true };
        using var boxes = Box.ToTensor(proposals.Boxes);
        var found = zeroShot.Detect(image, boxes);
        var top = found[0];
        Assert.Equal(want.GetProperty("category_id").GetInt64(), top.CategoryId);
        Assert.Equal(want.GetProperty("score").GetDouble(), top.Score, 1e-4);
        var box = want.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(box[0], top.Box.X1, 1e-3);
        Assert.Equal(box[3], top.Box.Y2, 1e-3);

        var unrefined = new ZeroShotDetector(detector.Model, pool, DetectionOptions.Coco).Detect(image, boxes);
        Assert.Contains(proposals.Boxes, p => Math.Abs(p.X1 - unrefined[0].Box.X1) < 1e-3 && Math.Abs(p.Y2 - unrefined[0].Box.Y2) < 1e-3);   // no regressor: boxes as given
    }
}
