using System.Text.Json;
using RegionClip.Torch.Serialization;
using RegionClip.Training.Pretraining;

namespace RegionClip.Tests.Training.Pretraining;

/// <summary>
/// Pretraining step by step against PyTorch: tools/fixtures/gen_pretrain.py runs the same steps with the
/// official CLIP modules, torchvision's roi_align and torch.optim.SGD (tiny random CLIPs, four images,
/// captions, a proposals file, concept files, no flip, constant LR). The three losses of every step and
/// the student's weights after the last must agree within 1e-4 relative.
/// </summary>
public sealed class PretrainParityTests : TorchTest
{
    private static readonly string Dir = Paths.Fixture("pretrain");

    [Theory]
    [InlineData("shared")]
    [InlineData("none_pass")]
    public void LossesAndWeightsMatchPyTorch(string caseName)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest.json")));
        var m = manifest.RootElement;
        var c = m.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == caseName);
        using var outDir = Paths.TempDir(caseName);
        var options = Options(m, c, outDir.FullName);

        PretrainResult result;
        using (var trainer = RegionTextPretrainer.Create(options))
        {
            result = trainer.Run();
            var expected = c.GetProperty("expected").EnumerateArray().ToList();
            var log = RegionClip.Training.Engine.JsonLinesLog<PretrainStepRecord>.Read(result.LogPath, PretrainStepRecord.Json);
            Assert.Equal(expected.Count, log.Count);
            for (int i = 0; i < log.Count; i++)
            {
                var e = expected[i];
                var r = log[i];
                Assert.Equal(e.GetProperty("step").GetInt64(), r.Step);
                Assert.Equal(e.GetProperty("regions").GetInt64(), r.Regions);
                Assert.Equal(e.GetProperty("kept_regions").GetInt64(), r.KeptRegions);
                Near(e.GetProperty("lr").GetDouble(), r.LearningRate, $"step {r.Step} lr");
                Near(e.GetProperty("loss_img_txt_level").GetDouble(), r.ImageText, $"step {r.Step} loss_img_txt_level");
                Near(e.GetProperty("loss_region_distill").GetDouble(), r.Distillation, $"step {r.Step} loss_region_distill");
                Near(e.GetProperty("loss_concept_contrastive").GetDouble(), r.Contrastive, $"step {r.Step} loss_concept_contrastive");
                Near(e.GetProperty("loss_total").GetDouble(), r.Total, $"step {r.Step} loss_total");
            }

            var reference = Checkpoint.LoadStateDict(Path.Combine(Dir, c.GetProperty("final_student").GetString()!));
            var initial = Checkpoint.LoadStateDict(Path.Combine(Dir, m.GetProperty("student").GetString()!));
            int changed = 0;
            try
            {
                using var scope = torch.NewDisposeScope();
                foreach (var (key, value) in trainer.Model.Student.Visual.state_dict())
                {
                    var want = reference["visual." + key];
                    var scale = want.abs().max().item<double>();
                    var diff = (value - want).abs().max().item<double>();
                    Assert.True(diff <= 1e-4 * Math.Max(scale, 1e-2), $"{key}: differs from PyTorch by {diff:G3} (largest value {scale:G3})");
                    if ((want - initial["visual." + key]).abs().max().item<double>() > 1e-3 * Math.Max(scale, 1e-2)) changed++;
                }
            }
            finally
            {
                foreach (var t in reference.Values.Concat(initial.Values)) t.Dispose();
            }
            Assert.True(changed > 10, $"only {changed} tensors moved: the fixture would not catch a wrong update");
        }
        Assert.True(File.Exists(result.ModelPath));
    }

    private static PretrainOptions Options(JsonElement m, JsonElement c, string outDir)
    {
        string F(string name) => Path.Combine(Dir, m.GetProperty(name).GetString()!);
        var teacherConcepts = c.GetProperty("teacher_concepts");
        return new PretrainOptions
        {
            Model = new() { Teacher = F("teacher"), Student = F("student"), Vocabulary = F("vocabulary"), FreezeAt = m.GetProperty("freeze_at").GetInt32() },
            Data = new() { Captions = F("captions"), Images = F("images"), Shuffle = false },
            Regions = new() { Source = RegionSource.File, Proposals = F("proposals"), PerImage = m.GetProperty("regions_per_image").GetInt32() },
            Concepts = new()
            {
                Student = Path.Combine(Dir, c.GetProperty("concepts").GetString()!),
                Teacher = teacherConcepts.ValueKind == JsonValueKind.Null ? null : Path.Combine(Dir, teacherConcepts.GetString()!),
                Threshold = c.GetProperty("concept_threshold").GetDouble(),
                TeacherTemperature = m.GetProperty("teacher_temperature").GetDouble(),
            },
            Input = new() { MinSize = m.GetProperty("min_size").GetInt32(), MaxSize = m.GetProperty("max_size").GetInt32(), HorizontalFlip = false },
            Solver = new()
            {
                BatchSize = m.GetProperty("batch_size").GetInt32(), MaxSteps = c.GetProperty("steps").GetInt64(), BaseLr = m.GetProperty("base_lr").GetDouble(),
                Momentum = m.GetProperty("momentum").GetDouble(), WeightDecay = m.GetProperty("weight_decay").GetDouble(), WarmupSteps = 0,
                ClipNorm = m.GetProperty("clip_norm").GetDouble(),
            },
            Loss = new() { Temperature = m.GetProperty("temperature").GetDouble() },
            Out = outDir,
        };
    }

    private static void Near(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Max(Math.Abs(expected), 1e-3), $"{what}: {actual:R} vs PyTorch {expected:R}");
}
