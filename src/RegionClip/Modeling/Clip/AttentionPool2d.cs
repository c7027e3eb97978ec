using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Clip;

/// <summary>
/// CLIP's attention pooling: the mean token (plus positional embeddings) attends over all
/// spatial tokens with multi-head attention; only its output is returned, projected by c_proj.
/// The grid must equal the positional embedding's (RegionCLIP never interpolates it).
/// </summary>
public sealed class AttentionPool2d : Module<Tensor, Tensor>
{
    private readonly Parameter _pos;
    private readonly Linear _q, _k, _v, _c;
    private readonly int _heads;

    public AttentionPool2d(int spacialDim, int embedDim, int heads, int outputDim)
    {
        _heads = heads;
        _pos = register_parameter("positional_embedding", torch.randn(spacialDim * spacialDim + 1, embedDim).div_(Math.Sqrt(embedDim)))!;
        _k = register_module("k_proj", new Linear(embedDim, embedDim));
        _q = register_module("q_proj", new Linear(embedDim, embedDim));
        _v = register_module("v_proj", new Linear(embedDim, embedDim));
        _c = register_module("c_proj", new Linear(embedDim, outputDim));
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var (n, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3));
        var tokensNeeded = _pos.size(0);
        if (h * w + 1 != tokensNeeded)
            throw new ArgumentException($"attention pooling expects a {(long)Math.Sqrt(tokensNeeded - 1)}×{(long)Math.Sqrt(tokensNeeded - 1)} grid (positional embedding [{tokensNeeded}, {c}]), got features of shape [{n}, {c}, {h}, {w}]");
        var tokens = x.flatten(2).transpose(1, 2);                       // NCHW -> N(HW)C
        tokens = torch.cat([tokens.mean(1, keepdim: true), tokens], 1);  // N(HW+1)C, mean token first
        tokens = tokens + _pos;                                          // broadcast over N
        long headDim = c / _heads;
        // Only the mean token's query matters (OpenAI passes query=x[:1]).
        var q = (_q.forward(tokens.select(1, 0)) * (1.0 / Math.Sqrt(headDim))).view(n * _heads, 1, headDim);
        var k = _k.forward(tokens).view(n, -1, _heads, headDim).transpose(1, 2).reshape(n * _heads, -1, headDim);
        var v = _v.forward(tokens).view(n, -1, _heads, headDim).transpose(1, 2).reshape(n * _heads, -1, headDim);
        var attn = F.softmax(q.bmm(k.transpose(1, 2)), -1);             // (N·heads) × 1 × (HW+1)
        var o = attn.bmm(v).view(n, c);                                  // heads concatenated
        return _c.forward(o).MoveToOuterScope();
    }
}
