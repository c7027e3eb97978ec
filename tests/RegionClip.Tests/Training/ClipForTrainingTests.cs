using RegionClip.Data.Datasets;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Text;
using RegionClip.Torch.Serialization;
using RegionClip.Training;

namespace RegionClip.Tests.Training;

/// <summary>The trainable teacher is an ordinary CLIP model: same keys, loads as ClipModel/RegionClipModel, same outputs; it learns.</summary>
public sealed class ClipForTrainingTests(TinyWorld world) : TorchTest, IClassFixture<TinyWorld>
{
    private static ClipConfig Config => TinyWorld.TinyTeacher.ModelConfig(vocabularyCount: 300);

    [Fact]
    public void HasClipKeysPlusBatchNormCounters()
    {
        using var teacher = ClipModel.ForTraining(Config);
        using var clip = new ClipModel(Config);
        var teacherKeys = teacher.state_dict().Keys.ToList();
        var clipKeys = clip.state_dict().Keys.ToList();
        // OpenAI's BN modules also save num_batches_tracked (ClipModel's frozen BN drops it at load).
        Assert.Equal(clipKeys.Order(StringComparer.Ordinal), teacherKeys.Where(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Contains("visual.layer1.0.downsample.1.running_var", teacherKeys);
        Assert.Contains("visual.bn1.num_batches_tracked", teacherKeys);
        var clipState = clip.state_dict();
        foreach (var (k, t) in teacher.state_dict())
            if (clipState.TryGetValue(k, out var c)) Assert.True(c.shape.AsSpan().SequenceEqual(t.shape), $"{k}: [{string.Join(", ", t.shape)}] vs CLIP's [{string.Join(", ", c.shape)}]");
    }

    [Fact]
    public void SavedTeacherLoadsAsClipAndRegionClipWithTheSameOutputs()
    {
        using var dir = Paths.TempDir();
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        using var teacher = ClipModel.ForTraining(Config);
        // Give BN non-trivial statistics and scales, as training would.
        using (torch.no_grad())
            foreach (var (k, t) in teacher.state_dict())
            {
                if (k.EndsWith("running_var", StringComparison.Ordinal) || k.EndsWith("bn3.weight", StringComparison.Ordinal)) t.uniform_(0.5, 2.0);
                else if (k.EndsWith("running_mean", StringComparison.Ordinal)) t.uniform_(-0.2, 0.2);
            }
        teacher.eval();
        var path = Path.Combine(dir.FullName, "teacher.pth");
        Checkpoint.SaveStateDict(teacher.state_dict(), path);

        var images = torch.randn(3, 3, 32, 32);
        var tokens = torch.tensor(new long[,] { { 298, 5, 7, 299, 0 }, { 298, 9, 299, 0, 0 }, { 298, 1, 2, 3, 299 } });
        using var clip = ClipModel.Load(path);
        Assert.Equal(Config.EmbedDim, clip.Config.EmbedDim);
        Assert.Equal(32, clip.Config.ImageResolution);
        using (torch.no_grad())
        {
            Assert.True(teacher.encode_image(images).allclose(clip.encode_image(images), rtol: 1e-4, atol: 1e-5));
            Assert.True(teacher.encode_text(tokens).allclose(clip.encode_text(tokens), rtol: 1e-5, atol: 1e-6));
        }
        using var region = RegionClipModel.Load(path);
        Assert.Equal(2, region.Clip.Config.PoolerResolution);   // twice the 1×1 attention-pool grid of a 32-px model
    }

    [Fact]
    public void OneStepChangesTheWeightsAndLowersTheLossOnAFixedBatch()
    {
        var options = TinyWorld.TinyTeacherWith(s => s with { LearningRate = 3e-3, WarmupSteps = 0 });
        var tokenizer = ClipTokenizer.Load(world.VocabularyPath);
        using var data = ImageCaptionDataset.Load(world.Dir, "train", tokenizer, options.Model.Resolution, options.Model.ContextLength);
        torch.manual_seed(1);
        using var model = ClipModel.ForTraining(options.ModelConfig(tokenizer.VocabularyCount));
        model.train();
        using var optimizer = ClipTeacherTrainer.CreateOptimizer(model, options.Solver);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList<Tensor>();
        var batch = Enumerable.Range(0, 8).Select(i => new SampleChoice(i, 0, i % 2 == 0)).ToArray();
        using var before = model.state_dict()["visual.layer2.0.conv2.weight"].clone();
        using var projBefore = model.state_dict()["text_projection"].clone();

        var first = ClipTeacherTrainer.TrainStep(model, optimizer, data, batch, options.Solver, trainable);
        var second = ClipTeacherTrainer.TrainStep(model, optimizer, data, batch, options.Solver, trainable);

        Assert.False(before.equal(model.state_dict()["visual.layer2.0.conv2.weight"]));
        Assert.False(projBefore.equal(model.state_dict()["text_projection"]));
        Assert.True(second < first, $"loss {first} → {second} after one step on the same batch");
    }
}
