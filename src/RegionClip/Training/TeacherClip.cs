using RegionClip.Modeling.Clip;
using RegionClip.Torch;
using RegionClip.Torch.nn;

namespace RegionClip.Training;

/// <summary>
/// A CLIP model to train from scratch: <see cref="ModifiedResNet"/> with trainable batch norm and
/// the text tower of <see cref="ClipModel"/>, under OpenAI's key names, initialised as OpenAI's
/// <c>CLIP.initialize_parameters</c>. Its <see cref="Module.state_dict"/> is an ordinary CLIP
/// ResNet state dict: <see cref="ClipModel.Load"/> and PyTorch's <c>clip.model.build_model</c> read it.
/// </summary>
public sealed class TeacherClip : Module
{
    private readonly Embedding _tokenEmbedding;
    private readonly Parameter _positional, _textProjection;
    private readonly Transformer _transformer;
    private readonly LayerNorm _lnFinal;
    private readonly Tensor _causalMask;

    public TeacherClip(ClipConfig config)
    {
        if (config.ImageResolution % 32 != 0 || config.ImageResolution < 32)
            throw new ArgumentException($"the image resolution must be a positive multiple of 32, got {config.ImageResolution}");
        if (config.TransformerWidth % 64 != 0 || config.TransformerHeads * 64 != config.TransformerWidth)
            throw new ArgumentException($"the text width must be a multiple of 64 with width/64 heads (as CLIP infers them), got width {config.TransformerWidth}, {config.TransformerHeads} heads");
        if (config.VisionWidth % 2 != 0 || config.VisionWidth < 2)
            throw new ArgumentException($"the vision width must be even, got {config.VisionWidth}");
        Config = config;
        Visual = register_module("visual", new ModifiedResNet(config.VisionLayers, config.EmbedDim, config.VisionHeads, config.ImageResolution, config.VisionWidth, c => new BatchNorm2d(c)));
        _transformer = register_module("transformer", new Transformer(config.TransformerWidth, config.TransformerLayers, config.TransformerHeads));
        _tokenEmbedding = register_module("token_embedding", new Embedding(config.VocabSize, config.TransformerWidth));
        _positional = register_parameter("positional_embedding", torch.empty([config.ContextLength, config.TransformerWidth]))!;
        _lnFinal = register_module("ln_final", new LayerNorm(config.TransformerWidth));
        _textProjection = register_parameter("text_projection", torch.empty([config.TransformerWidth, config.EmbedDim]))!;
        LogitScale = register_parameter("logit_scale", torch.full([], Math.Log(1 / 0.07)))!;
        using (torch.NewDisposeScope())
            _causalMask = register_buffer("attn_mask", torch.full([config.ContextLength, config.ContextLength], double.NegativeInfinity).triu(1), persistent: false)!;
        InitializeParameters();
    }

    public ClipConfig Config { get; }
    /// <summary>RegionCLIP freezes BN, which cannot learn; OpenAI trained CLIP with ordinary BN, whose state dict loads into the frozen tower.</summary>
    public ModifiedResNet Visual { get; }

    /// <summary>ln(1/temperature): the contrastive logits are cosine similarities times its exponential.</summary>
    public Parameter LogitScale { get; }

    /// <summary>[N, 3, R, R] normalised images → [N, EmbedDim] (not normalised).</summary>
    public Tensor encode_image(Tensor images) => Visual.forward(images);

    /// <summary>[N, L] token ids (L ≤ context; the end token is the highest id) → [N, EmbedDim] (not normalised).</summary>
    public Tensor encode_text(Tensor tokens)
    {
        if (tokens.ndim != 2 || tokens.size(1) > Config.ContextLength)
            throw new ArgumentException($"token ids must be [N, ≤{Config.ContextLength}], got [{string.Join(", ", tokens.shape)}]");
        using var scope = torch.NewDisposeScope();
        var l = tokens.size(1);
        var x = _tokenEmbedding.forward(tokens) + _positional.narrow(0, 0, l);
        var mask = _causalMask.narrow(0, 0, l).narrow(1, 0, l);
        x = _lnFinal.forward(_transformer.forward(x, mask));
        var pooled = x.index(torch.arange(x.size(0)), tokens.argmax(-1));   // the end token's row
        return pooled.matmul(_textProjection).MoveToOuterScope();
    }

    /// <summary>OpenAI's initialisation: small normal embeddings, attnpool and transformer weights scaled by width, last BN of each block zero.</summary>
    private void InitializeParameters()
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
