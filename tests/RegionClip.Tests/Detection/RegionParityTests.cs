using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Structures;
using RegionClip.Tests.Cli;
using RegionClip.Text;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Detection;

/// <summary>Region embeddings, concept embeddings, probabilities and GT-box detections against the PyTorch reference.</summary>
public sealed class RegionParityTests : TorchTest
{
    private const double RegionTol = 1e-4;   // the bound for region embeddings
    private const double ConceptTol = 1e-5;

    private readonly RegionReference _ref;

    public RegionParityTests() => _ref = new RegionReference();

    public override void Dispose()
    {
        _ref.Dispose();
        base.Dispose();
    }

    private static RegionClipModel TinyModel() => RegionClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth"));

    [Fact]
    public void PoolerResolutionIsTwiceTheAttentionGrid()
    {
        using var model = TinyModel();
        Assert.Equal(4, model.PoolerResolution);   // 64-pixel model: 2×2 attention grid
        Assert.Equal(32, model.EmbedDim);
    }

    [Fact]
    public void RegionEmbeddingsOfEachImageMatchTheReference()
    {
        using var model = TinyModel();
        for (int i = 0; i < _ref.Cases.Count; i++)
        {
            var c = _ref.Cases[i];
            using var scope = torch.NewDisposeScope();
            using var image = DetectionImage.Load(c.Path, c.Resize);
            Assert.Equal(c.InputSize, new[] { image.Height, image.Width });
            var emb = model.ExtractRegionFeatures(image, c.BoxTensor());
            var err = RegionReference.RelativeError(_ref[$"emb{i}"], emb);
            Assert.True(err <= RegionTol, $"{c.File}: relative error {err:E3}");
        }
    }

    [Fact]
    public void AnOfficialLayoutCheckpointGivesTheReferenceRegionsAndNamesWhatItIgnored()
    {
        // PretrainFastRCNN's state_dict() exactly (tools/fixtures/gen_regionclip_layout.py): no
        // lang_encoder.logit_scale, a teacher with other weights, an offline RPN.
        var path = Paths.Fixture("regionclip", "regionclip_pretrained-tiny.pth");
        var notices = new List<string>();
        var saved = ClipCheckpoint.Notice;
        ClipCheckpoint.Notice = notices.Add;
        RegionClipModel model;
        try
        {
            model = RegionClipModel.Load(path);
        }
        finally
        {
            ClipCheckpoint.Notice = saved;
        }
        using (model)
        {
            Assert.True(model.HasTextTower);
            var notice = Assert.Single(notices);
            Assert.Contains("regionclip_pretrained-tiny.pth", notice);
            Assert.Contains("ignored offline_backbone.*, offline_proposal_generator.*, teacher_backbone.*", notice);
            for (int i = 0; i < _ref.Cases.Count; i++)
            {
                var c = _ref.Cases[i];
                using var scope = torch.NewDisposeScope();
                using var image = DetectionImage.Load(c.Path, c.Resize);
                var err = RegionReference.RelativeError(_ref[$"emb{i}"], model.ExtractRegionFeatures(image, c.BoxTensor()));
                Assert.True(err <= RegionTol, $"{c.File}: relative error {err:E3}");
            }
        }
    }

    [Fact]
    public void ACheckpointWhoseTensorsShareStoragesLoadsTheSameWeights()
    {
        // teacher_backbone.* aliases backbone.*, and the student's norm buffers are views at offsets into one
        // storage (tools/fixtures/gen_regionclip_layout.py): every tensor must come out at its own offset.
        var saved = ClipCheckpoint.Notice;
        ClipCheckpoint.Notice = _ => { };
        try
        {
            using var plain = RegionClipModel.Load(Paths.Fixture("regionclip", "regionclip_pretrained-tiny.pth"));
            using var shared = RegionClipModel.Load(Paths.Fixture("regionclip", "regionclip_shared_storage-tiny.pth"));
            var want = plain.Visual.state_dict();
            foreach (var (k, v) in shared.Visual.state_dict()) Assert.True(v.equal(want[k]), $"{k} differs");
            var text = plain.Clip.state_dict();
            foreach (var (k, v) in shared.Clip.state_dict()) Assert.True(v.equal(text[k]), $"{k} differs");
        }
        finally
        {
            ClipCheckpoint.Notice = saved;
        }
    }

    [Fact]
    public void ImagesOfDifferentSizesGoThroughAsOneBatch()
    {
        using var model = TinyModel();
        using var scope = torch.NewDisposeScope();
        // Every case twice: equal sizes share a backbone batch, different sizes do not mix.
        var cases = _ref.Cases.Concat(_ref.Cases).ToList();
        var images = cases.Select(c => DetectionImage.Load(c.Path, c.Resize)).ToList();
        try
        {
            var features = model.ExtractRegionFeatures(images, cases.Select(c => c.BoxTensor()).ToList());
            for (int i = 0; i < cases.Count; i++)
            {
                var err = RegionReference.RelativeError(_ref[$"emb{i % _ref.Cases.Count}"], features[i]);
                Assert.True(err <= RegionTol, $"batch item {i}: relative error {err:E3}");
            }
        }
        finally
        {
            foreach (var im in images) im.Dispose();
        }
    }

    [Fact]
    public void ProbabilitiesFollowTheTextClassifierWithBackgroundLast()
    {
        using var model = TinyModel();
        using var scope = torch.NewDisposeScope();
        var concepts = _ref["concepts"];
        for (int i = 0; i < _ref.Cases.Count; i++)
        {
            var c = _ref.Cases[i];
            using var image = DetectionImage.Load(c.Path, c.Resize);
            var probs = RegionClassifier.Probabilities(model.ExtractRegionFeatures(image, c.BoxTensor()), concepts);
            Assert.Equal(_ref.Names.Count + 1, probs.size(1));
            var maxDiff = (probs - _ref[$"probs{i}"]).abs().max().item<float>();
            Assert.True(maxDiff < 1e-4, $"{c.File}: probabilities differ by {maxDiff}");
        }
    }

    [Fact]
    public void GtBoxDetectionsMatchDetectron2sPostprocessing()
    {
        using var model = TinyModel();
        using var scope = torch.NewDisposeScope();
        using var pool = ConceptPool.FromEmbeddings(_ref["concepts"].clone(), _ref.Names);
        var detector = new ZeroShotDetector(model, pool, DetectionOptions.Coco);
        for (int i = 0; i < _ref.Cases.Count; i++)
        {
            var c = _ref.Cases[i];
            using var image = DetectionImage.Load(c.Path, c.Resize);
            var dets = detector.Detect(image, c.BoxTensor());
            ExpectReferenceDetections(i, detector.Detect(image, c.BoxTensor()));
        }
    }

    /// <summary>The detections equal the reference's GT-box detections of case <paramref name="i"/>.</summary>
    private void ExpectReferenceDetections(int i, IReadOnlyList<RegionClip.Modeling.Detection.Detection> dets)
    {
        var c = _ref.Cases[i];
        var boxes = _ref[$"det_boxes{i}"].data<float>();
        var scores = _ref[$"det_scores{i}"].data<float>();
        var classes = _ref[$"det_classes{i}"].data<long>();
        var regions = _ref[$"det_regions{i}"].data<long>();
        Assert.Equal(scores.Length, dets.Count);
        for (int j = 0; j < dets.Count; j++)
        {
            Assert.Equal((int)classes[j], dets[j].Concept);
            Assert.Equal(_ref.Names[(int)classes[j]], dets[j].Label);
            Assert.Equal((int)regions[j], dets[j].Region);
            Assert.True(Math.Abs(scores[j] - dets[j].Score) < 1e-4, $"{c.File} detection {j}: score {dets[j].Score} vs {scores[j]}");
            var b = dets[j].Box.ToArray();
            for (int q = 0; q < 4; q++) Assert.True(Math.Abs(boxes[4 * j + q] - b[q]) < 1e-3, $"{c.File} detection {j}: box {dets[j].Box}");
        }
    }

    [Fact]
    public void AVocabularyGivenPerCallReplacesTheDetectorsOwn()
    {
        using var model = TinyModel();
        using var scope = torch.NewDisposeScope();
        using var pool = ConceptPool.FromEmbeddings(_ref["concepts"].clone(), _ref.Names);
        // The detector's own vocabulary: the same concepts in reverse order under other names.
        using var decoy = ConceptPool.FromEmbeddings(_ref["concepts"].flip(0), _ref.Names.Select(n => "not " + n).ToList());
        var detector = new ZeroShotDetector(model, decoy, DetectionOptions.Coco);
        var c = _ref.Cases[0];
        using var image = DetectionImage.Load(c.Path, c.Resize);
        ExpectReferenceDetections(0, detector.Detect(image, c.BoxTensor(), pool));
        Assert.All(detector.Detect(image, c.BoxTensor()), d => Assert.StartsWith("not ", d.Label));
        Assert.Contains("Tokenizer", Assert.Throws<InvalidOperationException>(() => detector.Detect(image, ["cat"], c.BoxTensor())).Message);
    }

    [SkippableFact]
    public void ClassNamesAreEmbeddedAndDetectedInOneCall()
    {
        var vocab = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        using var model = RegionClipModel.Load(TestCheckpoints.FullVocabularyTinyClip(dir.FullName));
        using var scope = torch.NewDisposeScope();
        using var decoy = ConceptPool.FromEmbeddings(torch.randn([3, model.EmbedDim]), ["x", "y", "z"]);
        var detector = new ZeroShotDetector(model, decoy, DetectionOptions.Coco) { Tokenizer = ClipTokenizer.Load(vocab) };
        var c = _ref.Cases[0];
        using var image = DetectionImage.Load(c.Path, c.Resize);
        ExpectReferenceDetections(0, detector.Detect(image, _ref.Names, c.BoxTensor()));
    }

    [SkippableFact]
    public void ConceptEmbeddingsAreTheMeanOfThe81PromptEmbeddings()
    {
        var vocab = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        using var model = RegionClipModel.Load(TestCheckpoints.FullVocabularyTinyClip(dir.FullName));
        using var pool = ConceptPool.Create(model.Clip, ClipTokenizer.Load(vocab), _ref.Names);
        var err = RegionReference.RelativeError(_ref["concepts"], pool.Embeddings);
        Assert.True(err <= ConceptTol, $"concept embeddings: relative error {err:E3}");
    }

    [SkippableFact]
    public void RegionClipFormatCheckpointGivesTheSameRegionsAndConcepts()
    {
        var vocab = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        var openAi = TestCheckpoints.FullVocabularyTinyClip(dir.FullName);
        var regionClip = Path.Combine(dir.FullName, "regionclip_pretrained-tiny.pth");
        using (var scope = torch.NewDisposeScope())
        {
            // {"model": {"backbone.*" student, "teacher_backbone.*", "lang_encoder.*" text without logit_scale}}
            // as PretrainFastRCNN saves it.
            var state = Checkpoint.LoadStateDict(openAi);
            foreach (var t in state.Values) scope.Include(t);
            var renamed = new OrderedDictionary<string, Tensor>();
            foreach (var (k, v) in state)
            {
                if (k.StartsWith("visual.", StringComparison.Ordinal))
                {
                    renamed["backbone." + k["visual.".Length..]] = v;
                    renamed["teacher_backbone." + k["visual.".Length..]] = v * 0;   // must be ignored
                }
                else if (k != "logit_scale") renamed["lang_encoder." + k] = v;
            }
            Checkpoint.SaveStateDict(renamed, regionClip, wrapInModel: true);
        }
        using var model = RegionClipModel.Load(regionClip);
        Assert.True(model.HasTextTower);
        using (var scope = torch.NewDisposeScope())
        {
            var c = _ref.Cases[0];
            using var image = DetectionImage.Load(c.Path, c.Resize);
            var err = RegionReference.RelativeError(_ref["emb0"], model.ExtractRegionFeatures(image, c.BoxTensor()));
            Assert.True(err <= RegionTol, $"RegionCLIP-format regions: relative error {err:E3}");
        }
        using var pool = ConceptPool.Create(model.Clip, ClipTokenizer.Load(vocab), _ref.Names);
        var cerr = RegionReference.RelativeError(_ref["concepts"], pool.Embeddings);
        Assert.True(cerr <= ConceptTol, $"RegionCLIP-format concepts: relative error {cerr:E3}");
    }
}
