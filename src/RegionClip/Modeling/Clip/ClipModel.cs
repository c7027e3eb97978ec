using RegionClip.Modeling.Layers;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Clip;

/// <summary>
/// OpenAI CLIP with a ResNet image tower; parameter names equal OpenAI's state dict keys
/// ("visual.*", "transformer.*", "token_embedding.weight", …). Everything runs in float32.
/// </summary>
public sealed class ClipModel : Module
{
    private readonly Embedding _tokenEmbedding;
    private readonly Parameter _positional, _textProjection;
    private readonly Transformer _transformer;
    private readonly LayerNorm _lnFinal;
    private readonly Tensor _causalMask;

    /// <summary>
    /// Builds the architecture of <paramref name="config"/> with uninitialised weights: load a checkpoint
    /// into it (<see cref="Load"/>), or call <see cref="InitializeParameters"/> to train it from scratch.
    /// <paramref name="norm"/>: frozen batch norm as RegionCLIP runs CLIP, or ordinary (trainable)
    /// batch norm as OpenAI trained it; both have the same checkpoint keys.
    /// </summary>
    public ClipModel(ClipConfig config, NormKind norm = NormKind.Frozen)
    {
        if (norm == NormKind.None) throw new ArgumentException("CLIP's ResNet has batch norm after every convolution: choose Frozen or BatchNorm", nameof(norm));
        if (config.ImageResolution % 32 != 0 || config.ImageResolution < 32)
            throw new ArgumentException($"the image resolution must be a positive multiple of 32, got {config.ImageResolution}");
        if (config.TransformerWidth % 64 != 0 || config.TransformerHeads * 64 != config.TransformerWidth)
            throw new ArgumentException($"the text width must be a multiple of 64 with width/64 heads (as CLIP infers them), got width {config.TransformerWidth}, {config.TransformerHeads} heads");
        if (config.VisionWidth % 2 != 0 || config.VisionWidth < 2)
            throw new ArgumentException($"the vision width must be even, got {config.VisionWidth}");
        Config = config;
        Visual = register_module("visual", new ModifiedResNet(config.VisionLayers, config.EmbedDim, config.VisionHeads, config.ImageResolution, config.VisionWidth,
            c => Norms.Create(norm, c)!));
        _transformer = register_module("transformer", new Transformer(config.TransformerWidth, config.TransformerLayers, config.TransformerHeads));
        _tokenEmbedding = register_module("token_embedding", new Embedding(config.VocabSize, config.TransformerWidth));
        _positional = register_parameter("positional_embedding", torch.empty([config.ContextLength, config.TransformerWidth]))!;
        _lnFinal = register_module("ln_final", new LayerNorm(config.TransformerWidth));
        _textProjection = register_parameter("text_projection", torch.empty([config.TransformerWidth, config.EmbedDim]))!;
        LogitScale = register_parameter("logit_scale", torch.full([], Math.Log(1 / 0.07)))!;
        // Causal additive mask: −∞ above the diagonal (position i sees j ≤ i).
        using (torch.NewDisposeScope())
            _causalMask = register_buffer("attn_mask", torch.full([config.ContextLength, config.ContextLength], double.NegativeInfinity).triu(1), persistent: false)!;
    }

    /// <summary>A CLIP to train from scratch: trainable batch norm, OpenAI's initialisation (<see cref="InitializeParameters"/>).</summary>
    public static ClipModel ForTraining(ClipConfig config)
    {
        var model = new ClipModel(config, NormKind.BatchNorm);
        model.InitializeParameters();
        return model;
    }

    public ClipConfig Config { get; }

    /// <summary>
    /// Builds the model a checkpoint describes (configuration inferred from its shapes) and loads it
    /// with strict key matching: any OpenAI CLIP ResNet (.pt TorchScript or state dict, float16 or
    /// float32) or RegionCLIP checkpoint.
    /// </summary>
    public static ClipModel Load(string path)
    {
        using var ckpt = ClipCheckpoint.Load(path);
        if (!ckpt.HasTextTower)
            throw new InvalidDataException($"'{path}' has no text tower (token_embedding / lang_encoder.*); a full CLIP model needs one");
        return FromCheckpoint(ckpt, ClipConfig.Infer(ckpt.State, path));
    }

    /// <summary>
    /// The model of <paramref name="config"/> filled strictly from <paramref name="ckpt"/>, in eval mode. Built without
    /// random initialisation (<see cref="init.skip"/>): every weight comes from the file.
    /// </summary>
    internal static ClipModel FromCheckpoint(ClipCheckpoint ckpt, ClipConfig config)
    {
        ClipModel model;
        using (init.skip()) model = new ClipModel(config);
        try
        {
            model.LoadCheckpoint(ckpt);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
    /// <summary>
    /// Copies a checkpoint's weights in, strictly. A RegionCLIP-layout file has no logit_scale (see
    /// <see cref="ClipCheckpoint.LacksLogitScale"/>); the model then keeps CLIP's initial value. A
    /// file that does not fit is named with every missing, unexpected and mis-shaped key.
    /// </summary>
    internal void LoadCheckpoint(ClipCheckpoint ckpt)
    {
        IReadOnlyDictionary<string, Tensor> state = ckpt.State;
        if (ckpt.LacksLogitScale)
            state = new Dictionary<string, Tensor>(ckpt.State) { ["logit_scale"] = LogitScale };
        try
        {
            load_state_dict(state);
        }
        catch (StateDictException e)
        {
            throw new InvalidDataException($"'{ckpt.Path}' does not fit the CLIP model its shapes describe: {e.OneLine}", e);
        }
    }

    /// <summary>The image tower; its batch norm is frozen or trainable as the constructor chose.</summary>
    public ModifiedResNet Visual { get; }

    /// <summary>ln(1/temperature) of CLIP's contrastive loss; RegionCLIP's own scoring uses a fixed 1/0.01 instead.</summary>
    public Parameter LogitScale { get; }

    /// <summary>[TransformerWidth, EmbedDim]: the text tower's output projection.</summary>
    public Tensor TextProjection => _textProjection;
    /// <summary>[ContextLength, TransformerWidth].</summary>
    public Tensor PositionalEmbedding => _positional;

    /// <summary>[N, 3, R, R] normalised images → [N, EmbedDim] (not normalised).</summary>
    public Tensor encode_image(Tensor images) => Visual.forward(images);

    /// <summary>[N, L] token ids (L ≤ context, end token = highest id) → [N, EmbedDim] (not normalised).</summary>
    public Tensor encode_text(Tensor tokens)
    {
        if (tokens.ndim != 2 || tokens.size(1) > Config.ContextLength)
            throw new ArgumentException($"token ids must be [N, ≤{Config.ContextLength}], got [{string.Join(", ", tokens.shape)}]");
        using var scope = torch.NewDisposeScope();
        var l = tokens.size(1);
        var x = _tokenEmbedding.forward(tokens) + _positional.narrow(0, 0, l);   // N × L × D
        var mask = _causalMask.narrow(0, 0, l).narrow(1, 0, l);
        x = _lnFinal.forward(_transformer.forward(x, mask));
        var eot = tokens.argmax(-1);                                              // end token = highest id
        var pooled = x.index(torch.arange(x.size(0)), eot);                       // N × D
        return pooled.matmul(_textProjection).MoveToOuterScope();
    }

    /// <summary>
    /// openai/CLIP's <c>initialize_parameters</c>: small normal embeddings, attention-pool and transformer
    /// weights scaled by width, the last batch norm of each block zero (when trainable). For training from scratch.
    /// </summary>
    public void InitializeParameters()
    {
        using var _ = torch.no_grad();
        init.normal_(_tokenEmbedding.weight, std: 0.02);
        init.normal_(_positional, std: 0.01);
        var pool = Config.VisionWidth * 32;
        foreach (var (name, p) in Visual.AttnPool.named_parameters())
            if (name.EndsWith(".weight", StringComparison.Ordinal)) init.normal_(p, std: Math.Pow(pool, -0.5));
        foreach (var (_, m) in Visual.named_modules())
            if (m is Bottleneck { LastNorm: BatchNorm2d last }) init.zeros_(last.weight);

        double width = Config.TransformerWidth;
        var projStd = Math.Pow(width, -0.5) * Math.Pow(2.0 * Math.Max(1, Config.TransformerLayers), -0.5);
        var attnStd = Math.Pow(width, -0.5);
        var fcStd = Math.Pow(2 * width, -0.5);
        foreach (var (name, p) in _transformer.named_parameters())
        {
            if (name.EndsWith("attn.in_proj_weight", StringComparison.Ordinal)) init.normal_(p, std: attnStd);
            else if (name.EndsWith("attn.out_proj.weight", StringComparison.Ordinal)) init.normal_(p, std: projStd);
            else if (name.EndsWith("attn.out_proj.bias", StringComparison.Ordinal)) init.zeros_(p);   // torch's MultiheadAttention starts it at 0
            else if (name.EndsWith("mlp.c_fc.weight", StringComparison.Ordinal)) init.normal_(p, std: fcStd);
            else if (name.EndsWith("mlp.c_proj.weight", StringComparison.Ordinal)) init.normal_(p, std: projStd);
        }
        init.normal_(_textProjection, std: Math.Pow(width, -0.5));
    }
}
