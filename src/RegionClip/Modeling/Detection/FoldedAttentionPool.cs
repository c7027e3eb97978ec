using RegionClip.Modeling.Clip;
using RegionClip.Torch;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Detection;

/// <summary>
/// CLIP's attention pooling for inference, with its single query folded into the key and
/// value projections. Only the mean token queries, so per head h
///   score_j = q_h · (W_k,h t_j + b_k,h) = (W_k,hᵀ q_h) · t_j + const   (the constant cancels in the softmax)
///   out_h   = Σ_j a_j (W_v,h t_j + b_v,h) = W_v,h (Σ_j a_j t_j) + b_v,h   (the weights sum to 1)
/// which replaces the key and value projections of all HW + 1 tokens ([N·50, 2048] × [2048, 2048]
/// twice for RN50: ~0.84 TFLOP per 1,000 regions, about a third of the region head) by products with
/// one vector per head (~30 GFLOP). The same function as <see cref="AttentionPool2d.forward"/>, to
/// float rounding; no autograd use (the training path keeps the module). The per-region products
/// are split across threads by region (<see cref="torch.bmm_across_batch"/>), so no global thread
/// setting changes and concurrent callers are safe.
/// </summary>
internal static class FoldedAttentionPool
{
    /// <summary>res5 features [N, C, h, w] → embeddings [N, D]; <paramref name="heads"/> as the module's.</summary>
    internal static Tensor Forward(AttentionPool2d pool, int heads, Tensor x)
    {
        var p = pool.state_dict();   // the module's own tensors: not disposed here
        var pos = p["positional_embedding"];
        var (n, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3));
        if (h * w + 1 != pos.size(0) || c != pos.size(1) || c % heads != 0)
            throw new ArgumentException($"attention pooling expects [N, {pos.size(1)}, {(long)Math.Sqrt(pos.size(0) - 1)}, {(long)Math.Sqrt(pos.size(0) - 1)}] features with {heads} heads, got [{string.Join(", ", x.shape)}]");
        long headDim = c / heads;
        using var scope = torch.NewDisposeScope();
        var tokens = x.flatten(2).transpose(1, 2);                                     // [N, HW, C]
        tokens = torch.cat([tokens.mean(1, keepdim: true), tokens], 1).add_(pos);      // [N, L, C], mean token first
        var q = F.linear(tokens.select(1, 0), p["q_proj.weight"], p["q_proj.bias"]).mul_(1.0 / Math.Sqrt(headDim));
        // u[n, h] = W_k,hᵀ q[n, h]: per head [N, hd] × [hd, C].
        var wk = p["k_proj.weight"].view(heads, headDim, c);
        var u = q.view(n, heads, headDim).transpose(0, 1).bmm(wk).transpose(0, 1);    // [N, H, C]
        // Per-region products: many small GEMMs, split across threads by region (see bmm_across_batch).
        var attn = F.softmax(torch.bmm_across_batch(u, tokens.transpose(1, 2)), -1);   // [N, H, L]
        var z = torch.bmm_across_batch(attn, tokens);                                   // [N, H, C]: Σ_j a_j t_j per head
        var wv = p["v_proj.weight"].view(heads, headDim, c).transpose(1, 2);          // [H, C, hd]
        var o = z.transpose(0, 1).bmm(wv).transpose(0, 1).reshape(n, c).add_(p["v_proj.bias"]);   // heads concatenated
        return F.linear(o, p["c_proj.weight"], p["c_proj.bias"]).MoveToOuterScope();
    }
}
