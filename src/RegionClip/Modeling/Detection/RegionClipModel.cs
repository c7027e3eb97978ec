using RegionClip.Checkpoints;
using RegionClip.Modeling.Clip;
using RegionClip.Structures;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using RegionClip.Torch.Vision;

namespace RegionClip.Modeling.Detection;

/// <summary>
/// RegionCLIP's split of the CLIP visual encoder: the backbone runs stem..res4 once per
/// image (stride 16); each region is RoIAlign-ed from res4 (aligned, adaptive sampling, 2× the
/// attention-pool grid) and goes through res5 (layer4) and attention pooling. The text tower, when
/// the checkpoint has one, embeds concepts.
/// </summary>
public sealed partial class RegionClipModel : IDisposable
{
    /// <summary>res4 is 1/16 of the input.</summary>
    public const double Res4Scale = 1.0 / 16;

    private readonly ClipModel? _clip;

    private RegionClipModel(ModifiedResNet visual, ClipModel? clip, ClipConfig config, string source)
    {
        Visual = visual;
        _clip = clip;
        Config = config;
        Source = source;
    }

    public ClipConfig Config { get; }
    public ModifiedResNet Visual { get; }
    /// <summary>The file the weights came from.</summary>
    public string Source { get; }
    /// <summary>Embedding size of regions and concepts (1024 for RN50, 640 for RN50x4).</summary>
    public int EmbedDim => Config.EmbedDim;
    public int PoolerResolution => Config.PoolerResolution;
    public bool HasTextTower => _clip is not null;

    /// <summary>The whole CLIP model, for text; fails clearly for a visual-only checkpoint.</summary>
    public ClipModel Clip => _clip ?? throw new InvalidOperationException(
        $"'{Source}' has no text tower (no lang_encoder.* / token_embedding), so it cannot embed concept names: pass precomputed concept embeddings (--concepts FILE.pth) or a checkpoint with a text tower");

    /// <summary>
    /// Regions per res5 + attnpool batch. The default keeps a batch's RoIAlign output near
    /// <see cref="RegionBatchBytes"/> (41 RN50 regions of 0.8 MB), so that res5's activations stay in the CPU's
    /// caches and their memory is reused: measured on 512 boxes of an 800×1216 image with RN50 on 2 cores, 13 ms
    /// per box (backbone included) in batches of 16–48 against 30 ms in batches of 512, whose 400 MB tensors are
    /// fresh pages at every layer.
    /// </summary>
    public int RegionBatchSize
    {
        get => _regionBatchSize ?? DefaultRegionBatchSize(Config);
        set => _regionBatchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the region batch size must be at least 1");
    }

    /// <summary>
    /// Float32 (default) or bfloat16 convolutions in <see cref="EncodeRegions(IReadOnlyList{DetectionImage}, IReadOnlyList{Tensor})"/>
    /// and everything built on it (detection, region features); training is always float32. Setting
    /// <see cref="InferencePrecision.BFloat16"/> throws <see cref="NotSupportedException"/> on a CPU without native bfloat16.
    /// </summary>
    public InferencePrecision Precision
    {
        get => _precision;
        set
        {
            if (value == InferencePrecision.BFloat16) BFloat16Support.EnsureAvailable();
            _precision = value;
        }
    }

    private InferencePrecision _precision;

    /// <summary>The RoIAlign output per region batch the default <see cref="RegionBatchSize"/> aims at.</summary>
    public const long RegionBatchBytes = 32L << 20;

    /// <summary>Regions of <paramref name="config"/> whose float RoIAlign output fits <see cref="RegionBatchBytes"/> (1 to 512).</summary>
    public static int DefaultRegionBatchSize(ClipConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return (int)Math.Clamp(RegionBatchBytes / (4L * config.Res4Channels * config.PoolerResolution * config.PoolerResolution), 1, 512);
    }

    private int? _regionBatchSize;

    /// <summary>
    /// Loads an OpenAI CLIP ResNet (.pt or state dict) or a RegionCLIP checkpoint
    /// (regionclip_pretrained-*/finetuned-*: the student "backbone.*" is used, teacher and offline
    /// RPN ignored). Strict key matching; the text tower is optional.
    /// </summary>
    /// <param name="textTower">Load the file's text tower when it has one; false keeps only the visual tower (a student or teacher
    /// whose captions another model reads).</param>
    public static RegionClipModel Load(string path, bool textTower = true)
    {
        using var ckpt = ClipCheckpoint.Load(path);
        return Load(ckpt, textTower);
    }

    /// <summary><see cref="Load(string, bool)"/> from an already read checkpoint (whose tensors stay the caller's).</summary>
    public static RegionClipModel Load(ClipCheckpoint ckpt, bool textTower = true)
    {
        ArgumentNullException.ThrowIfNull(ckpt);
        var path = ckpt.Path;
        var config = ClipConfig.Infer(ckpt.State, path, requireTextTower: false);
        if (config.HasTextTower && textTower)
        {
            var clip = ClipModel.FromCheckpoint(ckpt, config);
            return new RegionClipModel(clip.Visual, clip, config, path);
        }
        ModifiedResNet visual;
        using (init.skip()) visual = new ModifiedResNet(config.VisionLayers, config.EmbedDim, config.VisionHeads, config.ImageResolution, config.VisionWidth);
        try
        {
            var state = ckpt.State.Where(kv => kv.Key.StartsWith("visual.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key["visual.".Length..], kv => kv.Value);
            try
            {
                visual.load_state_dict(state);
            }
            catch (StateDictException e)
            {
                throw new InvalidDataException($"'{path}' does not fit the CLIP ResNet its shapes describe: {e.OneLine}", e);
            }
            visual.eval();
            return new RegionClipModel(visual, null, config, path);
        }
        catch
        {
            visual.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an already built CLIP model (which this object then owns).</summary>
    public static RegionClipModel FromClip(ClipModel clip, string source = "(in memory)") => new(clip.Visual, clip, clip.Config, source);

    /// <summary>
    /// The smallest resized side the backbone takes: res4 is 1/16 of the input, and each stride-2 stage
    /// needs at least two pixels to pool (15 is the exact bound for CLIP's ResNets; 16 leaves no doubt).
    /// </summary>
    public const int MinInputSide = 16;

    /// <summary>
    /// Fails with a sentence a user understands when an image is too small for the network after its
    /// detection resize (a 20000×20 panorama becomes 1333×1), instead of a pooling error deep inside.
    /// </summary>
    public static void EnsureFits(DetectionImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Height >= MinInputSide && image.Width >= MinInputSide) return;
        throw DetectionImage.TooSmall(image.Source, image.OriginalWidth, image.OriginalHeight, image.Width, image.Height, MinInputSide);
    }

    /// <summary>The backbone: normalised images [N, 3, H, W] → res4 [N, C, H/16, W/16].</summary>
    public Tensor Backbone(Tensor images) => Visual.Res4(images);

    /// <summary>
    /// The region head (PretrainRes5ROIHeads): rois [R, 5] (batch index, x1, y1, x2, y2 in input
    /// pixels) on res4 → attention-pooled embeddings [R, EmbedDim], not normalised. No inference
    /// guard and no chunking: training uses it with gradients.
    /// </summary>
    public Tensor RegionHead(Tensor res4, Tensor rois)
    {
        using var scope = torch.NewDisposeScope();
        var pooled = ops.roi_align(res4, rois, PoolerResolution, Res4Scale, sampling_ratio: 0, aligned: true);
        return Visual.AttnPool.forward(Visual.Layer4.forward(pooled)).MoveToOuterScope();
    }

    /// <summary>
    /// <see cref="Backbone"/> for training a model whose stem and first <paramref name="frozenStages"/> stages
    /// (0 to 3) are frozen: no gradient can flow there (the images need none), so they run without autograd
    /// and with their batch norms folded into the convolutions (<see cref="FoldedResNet"/>, when all norms
    /// are frozen); the remaining stages run on the modules, with autograd. The same res4 as
    /// <see cref="Backbone"/>, to float rounding.
    /// </summary>
    internal Tensor TrainingBackbone(Tensor images, int frozenStages)
    {
        Tensor trunk;
        using (torch.no_grad())
        {
            using var folded = FoldedResNet.TryCreate(Visual);
            trunk = folded?.Trunk(images, frozenStages) ?? Visual.Res4Before(images, frozenStages);
        }
        using (trunk) return Visual.Res4After(trunk, frozenStages);
    }

    /// <summary>
    /// Region embeddings of a frozen tower (a teacher) for a padded batch: res4 of <paramref name="images"/>,
    /// then RoIAlign of <paramref name="rois"/> ([R, 5]: batch index, x1, y1, x2, y2), res5 and the attention
    /// pool, as <see cref="EncodeRegions(IReadOnlyList{DetectionImage}, IReadOnlyList{Tensor})"/> computes them:
    /// under inference mode, batch norms folded, the pool's query folded, regions in chunks. The result, [R,
    /// EmbedDim], is an ordinary tensor without gradient (autograd may save it); the same values as
    /// <see cref="RegionHead"/> of <see cref="Backbone"/>, to float rounding.
    /// </summary>
    internal Tensor FrozenRegionEmbeddings(Tensor images, Tensor rois)
    {
        Tensor embeddings;
        using (torch.inference_mode())
        using (var folded = FoldedResNet.TryCreate(Visual))
        using (var res4 = folded?.Res4(images) ?? Backbone(images))
            embeddings = HeadInChunks(res4, rois, folded);
        using (embeddings) return embeddings.clone();   // out of inference mode: a tensor autograd may save
    }

    /// <summary>
    /// Region embeddings for boxes given in each image's resized-input pixels ([Ki, 4] XYXY), all
    /// images at once: images of equal size share one backbone batch, regions of every image go
    /// through the head together. Returns [ΣKi, EmbedDim] in image order, not normalised.
    /// </summary>
    /// <remarks>
    /// Unlike detectron2, images of different sizes are not zero-padded into one tensor: padding
    /// changes the features near the bottom/right edges, and a region's embedding should not depend
    /// on which other images share its batch. Equal sizes (the common case) still batch.
    /// </remarks>
    public Tensor EncodeRegions(IReadOnlyList<DetectionImage> images, IReadOnlyList<Tensor> inputBoxes)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(inputBoxes);
        if (images.Count != inputBoxes.Count)
            throw new ArgumentException($"{images.Count} image(s) but {inputBoxes.Count} box list(s)");
        for (int i = 0; i < inputBoxes.Count; i++)
            if (inputBoxes[i].ndim != 2 || inputBoxes[i].size(1) != 4)
                throw new ArgumentException($"boxes of image {i} must be [K, 4] (x1, y1, x2, y2), got [{string.Join(", ", inputBoxes[i].shape)}]");
        foreach (var image in images) EnsureFits(image);

        using var guard = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        FoldedResNet? folded = null;   // made on first use: an empty box list needs no weights
        try
        {
            var perImage = new Tensor[images.Count];
            foreach (var group in Enumerable.Range(0, images.Count).GroupBy(i => (images[i].Height, images[i].Width)))
            {
                var members = group.ToArray();
                if (members.All(i => inputBoxes[i].size(0) == 0))
                {
                    foreach (var i in members) perImage[i] = torch.zeros(0, EmbedDim);
                    continue;
                }
                folded ??= FoldedResNet.TryCreate(Visual, ConvolutionType);
                Tensor res4;
                using (var batch = torch.stack(members.Select(i => images[i].Pixels).ToArray()))
                    res4 = folded is null ? Backbone(batch) : RunFolded(folded, folded.Res4, batch);
                var rois = torch.cat(members.Select((img, j) => WithBatchIndex(inputBoxes[img], j)).ToArray());
                var embeddings = HeadInChunks(res4, rois, folded);
                res4.Dispose();
                long offset = 0;
                foreach (var i in members)
                {
                    var k = inputBoxes[i].size(0);
                    perImage[i] = embeddings.narrow(0, offset, k);
                    offset += k;
                }
            }
            return torch.cat(perImage).MoveToOuterScope();
        }
        finally
        {
            folded?.Dispose();
        }
    }

    /// <summary>One image's regions ([K, 4] in its resized-input pixels) → [K, EmbedDim].</summary>
    public Tensor EncodeRegions(DetectionImage image, Tensor inputBoxes) => EncodeRegions([image], [inputBoxes]);

    private Tensor HeadInChunks(Tensor res4, Tensor rois, FoldedResNet? folded)
    {
        var total = rois.size(0);
        if (total <= RegionBatchSize) return InferenceHead(res4, rois, folded);
        var parts = new List<Tensor>();
        for (long start = 0; start < total; start += RegionBatchSize)
            parts.Add(InferenceHead(res4, rois.narrow(0, start, Math.Min(RegionBatchSize, total - start)), folded));
        return torch.cat(parts);
    }

    /// <summary>
    /// <see cref="RegionHead"/> for inference: res5 with batch norms folded (<see cref="FoldedResNet"/>,
    /// when given), the attention pooling with its query folded into the projections
    /// (<see cref="FoldedAttentionPool"/>), the pooled and res5 maps freed as soon as used.
    /// </summary>
    private Tensor InferenceHead(Tensor res4, Tensor rois, FoldedResNet? folded)
    {
        Tensor res5;
        using (var pooled = ops.roi_align(res4, rois, PoolerResolution, Res4Scale, sampling_ratio: 0, aligned: true))
            res5 = folded is null ? Visual.Layer4.forward(pooled) : RunFolded(folded, folded.Layer4, pooled);
        using (res5)
            return FoldedAttentionPool.Forward(Visual.AttnPool, Config.VisionHeads, res5);
    }

    /// <summary>The folded convolutions' number format (<see cref="Precision"/>).</summary>
    private ScalarType ConvolutionType => Precision == InferencePrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>
    /// A folded stage on <paramref name="x"/> converted to the folded weights' format, the output back in float32 for
    /// RoIAlign and the attention pool; converted copies are freed at once (a scope would keep every chunk's).
    /// </summary>
    private static Tensor RunFolded(FoldedResNet folded, Func<Tensor, Tensor> stage, Tensor x)
    {
        Tensor y;
        using (var input = folded.Input(x)) y = stage(input);
        if (y.dtype == ScalarType.Float32) return y;
        using (y) return y.to(ScalarType.Float32);
    }

    private static Tensor WithBatchIndex(Tensor boxes, int index)
    {
        var b = boxes.to(ScalarType.Float32);
        return torch.cat([torch.full([b.size(0), 1], index), b], 1);
    }

    public void Dispose()
    {
        if (_clip is not null) _clip.Dispose();
        else Visual.Dispose();
    }
}
