using RegionClip.Modeling.Clip;
using RegionClip.Text;

namespace RegionClip.Tests.Modeling;

/// <summary>Configuration inference for every official CLIP ResNet size, from shapes alone.</summary>
public sealed class ClipConfigTests : TorchTest
{
    /// <summary>The keys build_model reads, with the official shapes (zero-copy expanded tensors).</summary>
    private static OrderedDictionary<string, Tensor> Shapes(int width, int[] layers, int embed, int grid, int textWidth, int textLayers, DisposeScope scope)
    {
        var one = scope.Include(torch.zeros(1));
        Tensor Of(params long[] shape) => one.view(Enumerable.Repeat(1L, shape.Length).ToArray()).expand(shape);
        var d = new OrderedDictionary<string, Tensor>();
        for (int b = 0; b < 4; b++)
            for (int i = 0; i < layers[b]; i++)
                d[$"visual.layer{b + 1}.{i}.conv1.weight"] = Of(width << b, 1, 1, 1);
        d["visual.attnpool.positional_embedding"] = Of(grid * grid + 1, width * 32);
        d["text_projection"] = Of(textWidth, embed);
        d["positional_embedding"] = Of(77, textWidth);
        d["token_embedding.weight"] = Of(49408, textWidth);
        d["ln_final.weight"] = Of(textWidth);
        for (int i = 0; i < textLayers; i++) d[$"transformer.resblocks.{i}.ln_1.weight"] = Of(textWidth);
        return d;
    }

    [Theory]
    [InlineData("RN50", 64, new[] { 3, 4, 6, 3 }, 1024, 7, 512, 224, 32, 1024)]
    [InlineData("RN101", 64, new[] { 3, 4, 23, 3 }, 512, 7, 512, 224, 32, 1024)]
    [InlineData("RN50x4", 80, new[] { 4, 6, 10, 6 }, 640, 9, 640, 288, 40, 1280)]
    [InlineData("RN50x16", 96, new[] { 6, 8, 18, 8 }, 768, 12, 768, 384, 48, 1536)]
    [InlineData("RN50x64", 128, new[] { 3, 15, 36, 10 }, 1024, 14, 1024, 448, 64, 2048)]
    public void InfersEveryOfficialVariant(string name, int width, int[] layers, int embed, int grid, int textWidth, int resolution, int visionHeads, int res4)
    {
        using var scope = torch.NewDisposeScope();
        var cfg = ClipConfig.Infer(Shapes(width, layers, embed, grid, textWidth, 12, scope), name);
        Assert.Equal(name, cfg.Name);
        Assert.Equal(layers, cfg.VisionLayers);
        Assert.Equal((resolution, embed, visionHeads, res4, textWidth / 64, 12, 77, 49408),
            (cfg.ImageResolution, cfg.EmbedDim, cfg.VisionHeads, cfg.Res4Channels, cfg.TransformerHeads, cfg.TransformerLayers, cfg.ContextLength, cfg.VocabSize));
    }

    [Fact]
    public void MissingKeysNameTheKeyAndTheFile()
    {
        using var scope = torch.NewDisposeScope();
        var d = Shapes(64, [3, 4, 6, 3], 1024, 7, 512, 12, scope);
        d.Remove("ln_final.weight");
        var e = Assert.Throws<InvalidDataException>(() => ClipConfig.Infer(d, "weird.pt"));
        Assert.Contains("weird.pt", e.Message);
        Assert.Contains("ln_final.weight", e.Message);
    }
}

/// <summary>Where the vocabulary comes from: --vocab, $REGIONCLIP_VOCAB, the models folder.</summary>
public sealed class VocabularyLocatorTests
{
    [Fact]
    public void ExplicitPathThenEnvironmentThenModelsFolder()
    {
        using var dir = Paths.TempDir();
        var models = Path.Combine(dir.FullName, "models");
        Directory.CreateDirectory(models);
        var inModels = Path.Combine(models, VocabularyLocator.FileName);
        File.WriteAllText(inModels, "x");
        var viaEnv = dir.File("env.txt.gz");
        File.WriteAllText(viaEnv, "x");
        var (oldVocab, oldModels) = (Environment.GetEnvironmentVariable("REGIONCLIP_VOCAB"), Environment.GetEnvironmentVariable("REGIONCLIP_MODELS"));
        try
        {
            Environment.SetEnvironmentVariable("REGIONCLIP_MODELS", models);
            Environment.SetEnvironmentVariable("REGIONCLIP_VOCAB", null);
            Assert.Equal(inModels, VocabularyLocator.Resolve());
            Environment.SetEnvironmentVariable("REGIONCLIP_VOCAB", viaEnv);
            Assert.Equal(viaEnv, VocabularyLocator.Resolve());
            Assert.Equal(inModels, VocabularyLocator.Resolve(inModels));
            var e = Assert.Throws<FileNotFoundException>(() => VocabularyLocator.Resolve(dir.File("nope.gz")));
            Assert.Contains("--vocab", e.Message);
            Assert.Contains("openai/CLIP", e.Message);
            Environment.SetEnvironmentVariable("REGIONCLIP_VOCAB", null);
            File.Delete(inModels);
            e = Assert.Throws<FileNotFoundException>(() => VocabularyLocator.Resolve());
            Assert.Contains(models, e.Message);
            Assert.Contains("bpe_simple_vocab_16e6.txt.gz", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("REGIONCLIP_VOCAB", oldVocab);
            Environment.SetEnvironmentVariable("REGIONCLIP_MODELS", oldModels);
        }
    }
}
