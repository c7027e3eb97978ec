using RegionClip.Checkpoints;
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
    private readonly Parameter _positional, _textProjection, _logitScale;
    private readonly Transformer _transformer;
    private readonly LayerNorm _lnFinal;
    private readonly Tensor _causalMask;

    public ClipModel(ClipConfig config)
    {
        Config = config;
        Visual = register_module("visual", new ModifiedResNet(config.VisionLayers, config.EmbedDim, config.VisionHeads, config.ImageResolution, config.VisionWidth));
        _transformer = register_module("transformer", new Transformer(config.TransformerWidth, config.TransformerLayers, config.TransformerHeads));
        _tokenEmbedding = register_module("token_embedding", new Embedding(config.VocabSize, config.TransformerWidth));
        _positional = register_parameter("positional_embedding", torch.empty([config.ContextLength, config.TransformerWidth]).normal_(0, 0.01))!;
        _lnFinal = register_module("ln_final", new LayerNorm(config.TransformerWidth));
        _textProjection = register_parameter("text_projection", torch.empty([config.TransformerWidth, config.EmbedDim]).normal_(0, Math.Pow(config.TransformerWidth, -0.5)))!;
        _logitScale = register_parameter("logit_scale", torch.full([], Math.Log(1 / 0.07)))!;
        // Causal additive mask: −∞ above the diagonal (position i sees j ≤ i).
        using (torch.NewDisposeScope())
            _causalMask = register_buffer("attn_mask", torch.full([config.ContextLength, config.ContextLength], double.NegativeInfinity).triu(1), persistent: false)!;
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
        var model = new ClipModel(ClipConfig.Infer(ckpt.State, path));
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
            state = new Dictionary<string, Tensor>(ckpt.State) { ["logit_scale"] = _logitScale };
        try
        {
            load_state_dict(state);
        }
        catch (StateDictException e)
        {
            throw new InvalidDataException($"'{ckpt.Path}' does not fit the CLIP model its shapes describe: {e.OneLine}", e);
        }
    }

    public ModifiedResNet Visual { get; }

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
}
