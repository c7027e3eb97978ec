using System.Text.Json;
using RegionClip.Modeling.Detection;
using RegionClip.Structures;
using RegionClip.Torch.Serialization;
using RegionClip.Training.Transfer;

namespace RegionClip.Tests.Training.Transfer;

/// <summary>
/// Transfer learning step by step against PyTorch: tools/fixtures/gen_train.py runs the same steps with the official
/// module layout (CLIPFastRCNN, CLIPRes5ROIHeads, FastRCNNOutputLayers), torchvision's roi_align and torch.optim.SGD
/// (a tiny random CLIP, four images with non-contiguous category ids, one of them with novel boxes only, a proposals
/// file with objectness, no flip, no subsampling, constant LR). loss_cls and loss_box_reg of every step must agree
/// within 1e-4 relative for the COCO (focal) and LVIS (weighted CE) presets, the trained weights within 1e-4, and the
/// trained model's detections on an image to 1e-3 px and 1e-4 in score.
/// </summary>
public sealed class TrainParityTests : TorchTest
{
    private static readonly string Dir = Paths.Fixture("train");

    [Theory]
    [InlineData("coco")]
    [InlineData("lvis")]
    public void LossesWeightsAndDetectionsMatchPyTorch(string caseName)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest.json")));
        var m = manifest.RootElement;
        var c = m.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == caseName);
        using var outDir = Paths.TempDir(caseName);

        using var trainer = DetectorTrainer.Create(Options(m, c, outDir.FullName));
        Assert.Equal(m.GetProperty("train_images").EnumerateArray().Select(e => e.GetString()).ToArray(), trainer.Data.Entries.Select(e => e.FileName).ToArray());
        var result = trainer.Run();
        var expected = c.GetProperty("expected").EnumerateArray().ToList();
        var log = RegionClip.Training.Engine.JsonLinesLog<DetectorStepRecord>.Read(result.LogPath, DetectorStepRecord.Json);
        Assert.Equal(expected.Count, log.Count);
        for (int i = 0; i < log.Count; i++)
        {
            var e = expected[i];
            var r = log[i];
            Assert.Equal(e.GetProperty("step").GetInt64(), r.Step);
            Assert.Equal(e.GetProperty("rois").GetInt64(), r.Rois);
            Assert.Equal(e.GetProperty("foreground").GetInt64(), r.Foreground);
            Near(e.GetProperty("lr").GetDouble(), r.LearningRate, 1e-4, $"step {r.Step} lr");
            Near(e.GetProperty("loss_cls").GetDouble(), r.Classification, 1e-4, $"step {r.Step} loss_cls");
            Near(e.GetProperty("loss_box_reg").GetDouble(), r.BoxRegression, 1e-4, $"step {r.Step} loss_box_reg");
        }

        var reference = Checkpoint.LoadStateDict(Path.Combine(Dir, c.GetProperty("final").GetString()!));
        var saved = Checkpoint.LoadStateDict(result.ModelPath);
        try
        {
            using var scope = torch.NewDisposeScope();
            foreach (var (key, value) in reference)
            {
                Assert.True(saved.ContainsKey(key), $"model_final.pth lacks {key}");
                var scale = value.abs().max().item<double>();
                var diff = (saved[key] - value).abs().max().item<double>();
                Assert.True(diff <= 1e-4 * Math.Max(scale, 1e-2), $"{key}: differs from PyTorch by {diff:G3} (largest value {scale:G3})");
            }
            Assert.DoesNotContain(saved.Keys, k => !reference.ContainsKey(k) && !k.StartsWith("lang_encoder.", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var t in reference.Values.Concat(saved.Values)) t.Dispose();
        }

        // The saved file loads as a detector and detects as PyTorch's trained model does.
        using var detector = OpenVocabularyDetector.TryLoad(result.ModelPath);
        Assert.NotNull(detector);
        var detections = Detect(detector, m);
        var want = c.GetProperty("detections").EnumerateArray().ToList();
        Assert.Equal(want.Count, detections.Count);
        for (int i = 0; i < want.Count; i++)
        {
            var box = want[i].GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var (got, score, category) = detections[i];
            Assert.Equal(want[i].GetProperty("category_id").GetInt64(), category);
            Near(want[i].GetProperty("score").GetDouble(), score, 1e-4, $"detection {i} score", absolute: true);
            double[] g = [got.X1, got.Y1, got.X2, got.Y2];
            for (int k = 0; k < 4; k++) Assert.True(Math.Abs(g[k] - box[k]) <= 1e-3, $"detection {i} box[{k}]: {g[k]:R} vs PyTorch {box[k]:R}");
        }
    }

    private static List<(Box Box, double Score, long Category)> Detect(OpenVocabularyDetector detector, JsonElement m)
    {
        var file = m.GetProperty("detect_image").GetString()!;
        var resize = new DetectionResize(m.GetProperty("min_size").GetInt32(), m.GetProperty("max_size").GetInt32());
        using var image = DetectionImage.Load(Path.Combine(Dir, file), resize);
        var proposals = ProposalsFile.Read(Path.Combine(Dir, m.GetProperty("proposals").GetString()!)).Assign([file])[0];
        using var originalBoxes = Box.ToTensor(proposals.Boxes);
        using var boxes = image.ToInput(originalBoxes);
        var options = DetectionOptions.Coco with { ScoreThreshold = m.GetProperty("score_thresh").GetDouble(), NmsThreshold = m.GetProperty("nms_thresh").GetDouble(),
            MaxDetections = m.GetProperty("detections_per_image").GetInt32() };
        using var kept = DetectorEvaluation.Detect(detector, image, boxes, null, options, m.GetProperty("temperature").GetDouble());
        using var original = image.ToOriginal(kept.Boxes);
        var ids = m.GetProperty("test_categories").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToArray();
        var scores = kept.Scores.data<float>();
        var classes = kept.Classes.data<long>();
        return Box.FromTensor(original).Select((b, i) => (b, (double)scores[i], ids[classes[i]])).Where(d => d.b.Width > 0 && d.b.Height > 0).ToList();
    }

    private static DetectorTrainOptions Options(JsonElement m, JsonElement c, string outDir)
    {
        string F(string name) => Path.Combine(Dir, m.GetProperty(name).GetString()!);
        var gamma = c.GetProperty("focal_gamma");
        return new DetectorTrainOptions
        {
            Model = new() { Init = F("init"), BoxRegressor = F("init_bbox_pred"), FreezeAt = m.GetProperty("freeze_at").GetInt32() },
            Data = new()
            {
                TrainAnnotations = F("annotations"), TrainImages = F("images"), Split = F("split"), Categories = TrainCategories.Base,
                TrainConcepts = F("train_concepts"), TestConcepts = F("test_concepts"), Shuffle = false,
            },
            Regions = new()
            {
                Source = TrainRegionSource.File, Proposals = F("proposals"), PerImage = m.GetProperty("rois_per_image").GetInt32(),
                PositiveFraction = m.GetProperty("positive_fraction").GetDouble(), IouThreshold = m.GetProperty("iou_threshold").GetDouble(),
            },
            Input = new() { MinSizes = [m.GetProperty("min_size").GetInt32()], MaxSize = m.GetProperty("max_size").GetInt32(), TestMinSize = m.GetProperty("min_size").GetInt32(), HorizontalFlip = false },
            Solver = new()
            {
                BatchSize = m.GetProperty("batch_size").GetInt32(), MaxSteps = m.GetProperty("max_iter").GetInt64(), BaseLr = m.GetProperty("base_lr").GetDouble(),
                Momentum = m.GetProperty("momentum").GetDouble(), WeightDecay = m.GetProperty("weight_decay").GetDouble(), WarmupSteps = 0, Steps = [],
            },
            Loss = new()
            {
                Classification = gamma.ValueKind == JsonValueKind.Null ? ClassificationLoss.Weighted : ClassificationLoss.Focal,
                FocalGamma = gamma.ValueKind == JsonValueKind.Null ? 0 : gamma.GetDouble(),
                BackgroundWeight = c.GetProperty("bg_weight").GetDouble(), Temperature = m.GetProperty("temperature").GetDouble(),
            },
            Evaluation = new() { Enabled = false },
            Out = outDir,
        };
    }

    private static void Near(double expected, double actual, double tolerance, string what, bool absolute = false) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * (absolute ? 1 : Math.Max(Math.Abs(expected), 1e-3)), $"{what}: {actual:R} vs PyTorch {expected:R}");
}
