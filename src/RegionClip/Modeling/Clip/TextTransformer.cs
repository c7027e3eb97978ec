using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Clip;

/// <summary>torch.nn.MultiheadAttention's self-attention path (packed in_proj, additive mask), batch-first.</summary>
public sealed class SelfAttention : Module
{
    private readonly Parameter _inW, _inB;
    private readonly Linear _out;
    private readonly int _heads;

    public SelfAttention(int width, int heads)
    {
        _heads = heads;
        _inW = register_parameter("in_proj_weight", torch.empty([3L * width, width]))!;
        init.xavier_uniform_(_inW);
        _inB = register_parameter("in_proj_bias", torch.zeros([3L * width]))!;
        _out = register_module("out_proj", new Linear(width, width));
    }

    /// <param name="x">[N, L, D]</param>
    /// <param name="mask">additive [L, L] mask or null</param>
    public Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var (n, l, d) = (x.size(0), x.size(1), x.size(2));
        long hd = d / _heads;
        var qkv = F.linear(x, _inW, _inB).view(n, l, 3, _heads, hd).permute(2, 0, 3, 1, 4); // 3 × N × heads × L × hd
        var q = qkv[0].reshape(n * _heads, l, hd) * (1.0 / Math.Sqrt(hd));
        var k = qkv[1].reshape(n * _heads, l, hd);
        var v = qkv[2].reshape(n * _heads, l, hd);
        var scores = mask is null ? q.bmm(k.transpose(1, 2)) : torch.baddbmm(mask, q, k.transpose(1, 2));
        var o = F.softmax(scores, -1).bmm(v);                               // (N·heads) × L × hd
        o = o.view(n, _heads, l, hd).transpose(1, 2).reshape(n, l, d);     // heads concatenated
        return _out.forward(o).MoveToOuterScope();
    }
}

/// <summary>Pre-LN transformer block: x + attn(ln_1(x)); x + mlp(ln_2(x)) with QuickGELU.</summary>
public sealed class ResidualAttentionBlock : Module
{
    private readonly SelfAttention _attn;
    private readonly LayerNorm _ln1, _ln2;
    private readonly Linear _fc, _proj;

    public ResidualAttentionBlock(int width, int heads)
    {
        _attn = register_module("attn", new SelfAttention(width, heads));
        _ln1 = register_module("ln_1", new LayerNorm(width));
        var mlp = register_module("mlp", new Mlp());
        _fc = mlp.Add("c_fc", new Linear(width, width * 4L));
        _proj = mlp.Add("c_proj", new Linear(width * 4L, width));
        _ln2 = register_module("ln_2", new LayerNorm(width));
    }

    public Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + _attn.forward(_ln1.forward(x), mask);
        var m = _fc.forward(_ln2.forward(h));
        m = m * (m * 1.702).sigmoid_();                                     // QuickGELU
        return (h + _proj.forward(m)).MoveToOuterScope();   // not add_: ln_2's backward needs h
    }

    private sealed class Mlp : Module
    {
        public T Add<T>(string name, T m) where T : Module => register_module(name, m);
    }
}

/// <summary>The stack of blocks under "transformer.resblocks.{i}".</summary>
public sealed class Transformer : Module
{
    private readonly List<ResidualAttentionBlock> _blocks = new();

    public Transformer(int width, int layers, int heads)
    {
        var list = register_module("resblocks", new ModuleList<ResidualAttentionBlock>());
        for (int i = 0; i < layers; i++) { var b = new ResidualAttentionBlock(width, heads); list.append(b); _blocks.Add(b); }
    }

    public Tensor forward(Tensor x, Tensor? mask)
    {
        var h = x;
        foreach (var b in _blocks)
        {
            var next = b.forward(h, mask);
            if (!ReferenceEquals(h, x)) h.Dispose();
            h = next;
        }
        return ReferenceEquals(h, x) ? x.alias() : h;
    }
}
