using System.Text.Json;
using RegionClip.Data;
using RegionClip.Data.Datasets;
using RegionClip.Text;
using RegionClip.Training;

namespace RegionClip.Tests.Training;

/// <summary>Reading a world split for teacher training: pixels, tokens with the world's tokenizer, batches, epoch plans.</summary>
public sealed class ImageCaptionDatasetTests(TinyWorld world) : TorchTest, IClassFixture<TinyWorld>
{
    private const int Resolution = 32, Context = 24;

    [Fact]
    public void TokenisesEveryCaptionWithTheWorldTokenizer()
    {
        var tokenizer = ClipTokenizer.Load(world.VocabularyPath);
        using var data = ImageCaptionDataset.Load(world.Dir, "train", tokenizer, Resolution, Context);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(world.Dir, "captions_train.json")));
        var byImage = json.RootElement.GetProperty("annotations").EnumerateArray()
            .GroupBy(a => a.GetProperty("image_id").GetInt64()).ToDictionary(g => g.Key, g => g.Select(a => a.GetProperty("caption").GetString()!).ToList());
        var files = json.RootElement.GetProperty("images").EnumerateArray()
            .Select(i => (id: i.GetProperty("id").GetInt64(), file: i.GetProperty("file_name").GetString()!)).ToList();

        Assert.Equal(12, data.Count);
        for (int i = 0; i < data.Count; i++)
        {
            Assert.Equal(Path.GetFullPath(Path.Combine(world.Dir, files[i].file)), data.Files[i]);
            var captions = byImage[files[i].id];
            Assert.Equal(captions.Count, data.CaptionCount(i));
            for (int c = 0; c < captions.Count; c++)
            {
                var expected = new List<int> { tokenizer.StartOfTextId };
                expected.AddRange(tokenizer.Encode(captions[c]));
                if (expected.Count > Context - 1) expected = expected[..(Context - 1)];
                expected.Add(tokenizer.EndOfTextId);
                Assert.Equal(expected, data.Tokens(i, c));
                Assert.Equal(tokenizer.Decode(tokenizer.Encode(ImageCaptionDataset.Mirror(captions[c]))), tokenizer.Decode(data.Tokens(i, c, mirrored: true)));
            }
        }
    }

    [Theory]
    [InlineData("two apples on the left", "two apples on the right")]
    [InlineData("Right: a kite, a bright sun and a leftover lemon on the left.", "Left: a kite, a bright sun and a leftover lemon on the right.")]
    [InlineData("a moon in the middle", "a moon in the middle")]
    public void MirroredCaptionsSwapLeftAndRightWords(string caption, string mirrored) =>
        Assert.Equal(mirrored, ImageCaptionDataset.Mirror(caption));

    [Fact]
    public void PixelsAreTheWholeFrameResizedAndBatchesPadAndMirror()
    {
        var tokenizer = ClipTokenizer.Load(world.VocabularyPath);
        using var data = ImageCaptionDataset.Load(world.Dir, "train", tokenizer, Resolution, Context);
        using var scope = torch.NewDisposeScope();
        var items = new[] { new SampleChoice(3, 1, false), new SampleChoice(3, 1, true), new SampleChoice(0, 0, false) };
        var (images, tokens) = data.Batch(items);

        Assert.Equal(new long[] { 3, 3, Resolution, Resolution }, images.shape);
        var view = ImageCaptionDataset.TeacherView(ImageIO.Read(data.Files[3]), Resolution);
        Assert.Equal(new long[] { Resolution, Resolution, 3 }, view.shape);
        // Expected normalisation written out: (x / 255 − mean) / std, channels first.
        var mean = torch.tensor(ClipPreprocess.Mean.ToArray(), 3, 1, 1);
        var std = torch.tensor(ClipPreprocess.Std.ToArray(), 3, 1, 1);
        var expected = (view.permute(2, 0, 1).to(ScalarType.Float32) / 255.0 - mean) / std;
        Assert.True(images[0].allclose(expected, rtol: 0, atol: 1e-6));
        Assert.True(images[1].equal(images[0].flip(2)), "a mirrored sample is the image flipped left–right");

        var longest = new[] { data.Tokens(3, 1).Count, data.Tokens(3, 1, true).Count, data.Tokens(0, 0).Count }.Max();
        Assert.Equal(new long[] { 3, longest }, tokens.shape);
        var rows = tokens.data<long>();
        for (int r = 0; r < 3; r++)
        {
            var expectedRow = data.Tokens(items[r].Image, items[r].Caption, items[r].Flip);
            for (int j = 0; j < longest; j++) Assert.Equal(j < expectedRow.Count ? expectedRow[j] : 0, rows[r * longest + j]);
        }
    }

    [Fact]
    public void EpochPlansArePermutationsThatDependOnlyOnSeedAndEpoch()
    {
        var tokenizer = ClipTokenizer.Load(world.VocabularyPath);
        using var data = ImageCaptionDataset.Load(world.Dir, "train", tokenizer, Resolution, Context);
        var a = ClipTeacherTrainer.EpochPlan(7, 0, data, flip: true);
        Assert.Equal(Enumerable.Range(0, data.Count), a.Select(s => s.Image).Order());
        Assert.All(a, s => Assert.InRange(s.Caption, 0, data.CaptionCount(s.Image) - 1));
        Assert.Equal(a, ClipTeacherTrainer.EpochPlan(7, 0, data, flip: true));
        Assert.NotEqual(a, ClipTeacherTrainer.EpochPlan(7, 1, data, flip: true));
        Assert.NotEqual(a, ClipTeacherTrainer.EpochPlan(8, 0, data, flip: true));
        Assert.Contains(a, s => s.Flip);
        Assert.DoesNotContain(ClipTeacherTrainer.EpochPlan(7, 0, data, flip: false), s => s.Flip);
    }

    [Fact]
    public void AMissingSplitNamesTheFileAndACaptionlessWorldIsRefused()
    {
        var tokenizer = ClipTokenizer.Load(world.VocabularyPath);
        var e = Assert.Throws<FileNotFoundException>(() => ImageCaptionDataset.Load(world.Dir, "test", tokenizer, Resolution, Context));
        Assert.Contains("captions_test.json", e.Message);
        using var dir = Paths.TempDir();
        File.WriteAllText(dir.File("captions_train.json"), """{"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}], "annotations": []}""");
        var empty = Assert.Throws<InvalidDataException>(() => ImageCaptionDataset.Load(dir.FullName, "train", tokenizer, Resolution, Context));
        Assert.Contains("captions_train.json", empty.Message);
    }
}
