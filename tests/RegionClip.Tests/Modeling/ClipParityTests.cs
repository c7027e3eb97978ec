using RegionClip.Modeling.Clip;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Modeling;

/// <summary>
/// CLIP towers against the official architecture (tools/fixtures/clip_reference.py, seeded random
/// weights, tiny RN-style and text configuration; tools/fixtures/gen_clip.py).
/// </summary>
public sealed class ClipParityTests : TorchTest
{
    // Same libtorch kernels in float32; only accumulation order differs (CONVENTIONS: 1e-5 per network).
    private const double RelTol = 1e-5;

    private readonly OrderedDictionary<string, Tensor> _io;

    public ClipParityTests() => _io = Checkpoint.LoadStateDict(Paths.Fixture("clip", "tiny_clip_io.pt"));

    public override void Dispose()
    {
        foreach (var t in _io.Values) t.Dispose();
        base.Dispose();
    }

    private static void AssertRelClose(Tensor expected, Tensor actual, double relTol, string what)
    {
        using var scope = torch.NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(ScalarType.Float64);
        var err = (e - actual.to(ScalarType.Float64)).norm().item<double>() / e.norm().item<double>();
        Assert.True(err <= relTol, $"{what}: relative error {err:E3} > {relTol:E0}");
    }

    private void AssertEmbeddings(ClipModel model, string imageKey, string textKey, double tol, string source)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.inference_mode();
        AssertRelClose(_io[imageKey], model.encode_image(_io["images"]), tol, $"{source} image embeddings");
        AssertRelClose(_io[textKey], model.encode_text(_io["text"]), tol, $"{source} text embeddings");
    }

    [Fact]
    public void Float32StateDictMatchesTheOfficialArchitecture()
    {
        using var model = ClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        Assert.Equal([1, 2, 1, 1], model.Config.VisionLayers);
        Assert.Equal((4, 32, 64, 64, 600, 2), (model.Config.VisionWidth, model.Config.EmbedDim, model.Config.ImageResolution, model.Config.TransformerWidth, model.Config.VocabSize, model.Config.TransformerLayers));
        AssertEmbeddings(model, "image_emb", "text_emb", RelTol, "fp32");
    }

    [Fact]
    public void Res4FeatureMatches()
    {
        using var model = ClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        using var scope = torch.NewDisposeScope();
        using var _ = torch.inference_mode();
        AssertRelClose(_io["res4"], model.Visual.Res4(_io["images"]), RelTol, "res4");
    }

    [Fact]
    public void Float16CheckpointGivesTheSameEmbeddingsWithinHalfRounding()
    {
        using var model = ClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp16.pth"));
        Assert.All(model.state_dict().Values, t => Assert.NotEqual(ScalarType.Float16, t.dtype));
        // Exactly the network of the rounded weights …
        AssertEmbeddings(model, "image_emb_fp16_weights", "text_emb_fp16_weights", RelTol, "fp16→fp32");
        // … and within float16 rounding (2⁻¹¹ relative per weight) of the float32 network.
        AssertEmbeddings(model, "image_emb", "text_emb", 2e-2, "fp16 vs fp32");
    }

    [Fact]
    public void TorchScriptArchiveLoadsLikeOpenAisJitFiles()
    {
        using var ckpt = ClipCheckpoint.Load(Paths.Fixture("clip", "tiny_clip_traced.pt"));
        Assert.Equal(ClipCheckpointKind.OpenAiTorchScript, ckpt.Kind);
        using var model = ClipModel.Load(Paths.Fixture("clip", "tiny_clip_traced.pt"));
        AssertEmbeddings(model, "image_emb_fp16_weights", "text_emb_fp16_weights", RelTol, "TorchScript");
    }

    [Fact]
    public void RegionClipKeyLayoutLoadsTheSameModel()
    {
        // Rename the fixture to RegionCLIP's layout (backbone.*, lang_encoder.* without logit_scale as the
        // official CLIPLangEncoder has it, plus a teacher and an offline RPN that must be ignored) inside a
        // detectron2-style {"model": …} wrapper.
        using var scope = torch.NewDisposeScope();
        using var dir = Paths.TempDir();
        var src = Checkpoint.LoadStateDict(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        var renamed = new OrderedDictionary<string, object?>();
        foreach (var (k, v) in src)
        {
            scope.Include(v);
            if (k.StartsWith("visual.", StringComparison.Ordinal))
            {
                renamed["backbone." + k[7..]] = v;
                renamed["teacher_backbone." + k[7..]] = v;
            }
            else if (k != "logit_scale") renamed["lang_encoder." + k] = v;
        }
        renamed["offline_backbone.bottom_up.stem.conv1.weight"] = torch.zeros(2, 3, 1, 1);
        renamed["offline_proposal_generator.rpn_head.conv.weight"] = torch.zeros(2, 2, 3, 3);
        var path = dir.File("regionclip_pretrained-tiny.pth");
        torch.save(new OrderedDictionary<string, object?> { ["model"] = renamed, ["iteration"] = 5L }, path);

        using var ckpt = ClipCheckpoint.Load(path);
        Assert.Equal(ClipCheckpointKind.RegionClip, ckpt.Kind);
        Assert.Equal(["offline_backbone", "offline_proposal_generator", "teacher_backbone"], ckpt.IgnoredPrefixes);
        Assert.True(ckpt.LacksLogitScale);
        using var model = ClipModel.Load(path);
        AssertEmbeddings(model, "image_emb", "text_emb", RelTol, "RegionCLIP layout");
    }

    [Fact]
    public void AnOfficialLayoutCheckpointLoadsWithoutLogitScale()
    {
        // tools/fixtures/gen_regionclip_layout.py: the official CLIPLangEncoder has no logit_scale.
        var path = Paths.Fixture("regionclip", "regionclip_pretrained-tiny.pth");
        using (var ckpt = ClipCheckpoint.Load(path))
        {
            Assert.Equal(ClipCheckpointKind.RegionClip, ckpt.Kind);
            Assert.True(ckpt.LacksLogitScale);
            Assert.Equal(["offline_backbone", "offline_proposal_generator", "teacher_backbone"], ckpt.IgnoredPrefixes);
        }
        using var model = ClipModel.Load(path);
        AssertEmbeddings(model, "image_emb", "text_emb", RelTol, "official RegionCLIP layout");
    }

    [Fact]
    public void AMissingOrMisShapedKeyIsNamedWithTheFileOnOneLine()
    {
        using var scope = torch.NewDisposeScope();
        using var dir = Paths.TempDir();
        var state = Checkpoint.LoadStateDict(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        foreach (var t in state.Values) scope.Include(t);
        state.Remove("visual.attnpool.c_proj.bias");
        var path = dir.File("no_bias.pth");
        Checkpoint.SaveStateDict(state, path);
        var e = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path));
        Assert.Contains("no_bias.pth", e.Message);
        Assert.Contains("visual.attnpool.c_proj.bias", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void OtherFilesSayWhatTheyAre()
    {
        using var scope = torch.NewDisposeScope();
        using var dir = Paths.TempDir();

        var emb = dir.File("coco_65_cls_emb.pth");
        torch.save(torch.zeros(65, 32), emb);
        var e = Assert.Throws<InvalidDataException>(() => ClipModel.Load(emb));
        Assert.Contains("single tensor [65, 32]", e.Message);

        var rpn = dir.File("rpn_lvis_866.pth");
        torch.save(new OrderedDictionary<string, object?>
        {
            ["model"] = new OrderedDictionary<string, object?>
            {
                ["backbone.bottom_up.stem.conv1.weight"] = torch.zeros(4, 3, 7, 7),
                ["proposal_generator.rpn_head.conv.weight"] = torch.zeros(4, 4, 3, 3),
            },
        }, rpn);
        e = Assert.Throws<InvalidDataException>(() => ClipModel.Load(rpn));
        Assert.Contains("rpn_lvis_866.pth", e.Message);
        Assert.Contains("detectron2", e.Message);

        var vit = dir.File("ViT-B-32.pth");
        torch.save(new OrderedDictionary<string, object?> { ["visual.proj"] = torch.zeros(4, 4), ["visual.transformer.resblocks.0.ln_1.weight"] = torch.zeros(4) }, vit);
        var nse = Assert.Throws<NotSupportedException>(() => ClipModel.Load(vit));
        Assert.Contains("ViT", nse.Message);

        var missing = Assert.Throws<FileNotFoundException>(() => ClipModel.Load(dir.File("nope.pt")));
        Assert.Contains("nope.pt", missing.Message);
    }

    [Fact]
    public void WrongGridSizeIsAClearError()
    {
        using var model = ClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => model.encode_image(torch.zeros(1, 3, 96, 96)));
        Assert.Contains("2×2 grid", e.Message);
        Assert.Contains("[1, 128, 3, 3]", e.Message);
    }
}
