using System.Text.Json;
using RegionClip.Data;
using RegionClip.Data.Datasets;
using RegionClip.Evaluation;
using RegionClip.Modeling.Clip;
using RegionClip.Text;
using RegionClip.Torch.Serialization;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Tests.Training;

public sealed class ZeroShotEvaluationTests(TinyWorld world) : TorchTest, IClassFixture<TinyWorld>
{
    [Fact]
    public void ClassifiesTheSingleObjectImagesOneByOneAsWellAsInBatches()
    {
        using var dir = Paths.TempDir();
        var tokenizer = ClipTokenizer.Load(world.VocabularyPath);
        torch.manual_seed(3);
        using (var teacher = new ClipModel(TinyWorld.TinyTeacher.ModelConfig(tokenizer.VocabularyCount)))
            Checkpoint.SaveStateDict(teacher.state_dict(), dir.File("t.pth"));
        using var clip = ClipModel.Load(dir.File("t.pth"));

        var result = ZeroShotEvaluation.Evaluate(clip, tokenizer, world.Dir, "val");

        // The expected images and labels, read from the JSON directly.
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(world.Dir, "instances_val.json")));
        var categories = json.RootElement.GetProperty("categories").EnumerateArray().Select(c => (id: c.GetProperty("id").GetInt64(), name: c.GetProperty("name").GetString()!)).ToList();
        var boxes = json.RootElement.GetProperty("annotations").EnumerateArray().ToLookup(a => a.GetProperty("image_id").GetInt64(), a => a.GetProperty("category_id").GetInt64());
        var single = json.RootElement.GetProperty("images").EnumerateArray()
            .Where(i => i.GetProperty("single_object").GetBoolean() && boxes[i.GetProperty("id").GetInt64()].Count() == 1)
            .Select(i => (file: i.GetProperty("file_name").GetString()!, label: categories.FindIndex(c => c.id == boxes[i.GetProperty("id").GetInt64()].Single())))
            .ToList();
        Assert.NotEmpty(single);
        Assert.Equal(single.Count, result.Images);
        Assert.Equal(categories.Select(c => c.name), result.PerClass.Select(c => c.Name));
        for (int k = 0; k < categories.Count; k++) Assert.Equal(single.Count(s => s.label == k), result.PerClass[k].Images);
        Assert.Equal(result.BaseImages + result.NovelImages, result.Images);
        Assert.All(result.PerClass, c => Assert.Equal(c.Novel, categories.FindIndex(x => x.name == c.Name) % 3 == 2));

        // One image at a time through ClipModel: the same decisions.
        using var scope = torch.NewDisposeScope();
        using var _ = torch.inference_mode();
        var concepts = F.normalize(new TextEncoder(clip, tokenizer).EncodeConcepts(categories.Select(c => c.name).ToList()), dim: 1);
        int correct = 0;
        foreach (var (file, label) in single)
        {
            var view = ImageCaptionDataset.TeacherView(ImageIO.Read(Path.Combine(world.Dir, file)), 32);
            var x = ClipPreprocess.Normalize(view).unsqueeze(0);
            var best = clip.encode_image(x).matmul(concepts.t()).argmax(1).item<long>();
            if (best == label) correct++;
        }
        Assert.Equal(correct, result.Correct);
        Assert.Equal((double)correct / single.Count, result.Top1, 12);
    }

    [Fact]
    public void AWorldWithoutTheSplitIsAClearError()
    {
        var tokenizer = ClipTokenizer.Load(world.VocabularyPath);
        using var dir = Paths.TempDir();
        torch.manual_seed(3);
        using (var teacher = new ClipModel(TinyWorld.TinyTeacher.ModelConfig(tokenizer.VocabularyCount)))
            Checkpoint.SaveStateDict(teacher.state_dict(), dir.File("t.pth"));
        using var clip = ClipModel.Load(dir.File("t.pth"));
        var e = Assert.Throws<FileNotFoundException>(() => ZeroShotEvaluation.Evaluate(clip, tokenizer, world.Dir, "test"));
        Assert.Contains("instances_test.json", e.Message);
    }
}
