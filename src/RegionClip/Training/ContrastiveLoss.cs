using RegionClip.Torch;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Training;

/// <summary>CLIP's image–text contrastive loss (without the multi-GPU gather).</summary>
public static class ContrastiveLoss
{
    /// <summary>
    /// Rows are L2-normalised by plain division (g/‖g‖, as CLIP and RegionCLIP do); S = scale · ĝ·t̂ᵀ;
    /// loss = ½·[CE(S, i↔i) + CE(Sᵀ, i↔i)], mean over the batch. <paramref name="scale"/> is a scalar
    /// tensor (1/temperature, e.g. exp(logit_scale)) so a learned temperature gets its gradient.
    /// </summary>
    /// <param name="image">[B, D] image embeddings</param>
    /// <param name="text">[B, D] text embeddings of the matching captions (row i describes image i)</param>
    public static Tensor ImageText(Tensor image, Tensor text, Tensor scale)
    {
        if (image.ndim != 2 || text.ndim != 2 || image.size(0) != text.size(0) || image.size(1) != text.size(1))
            throw new ArgumentException($"image and text embeddings must both be [B, D]; got [{string.Join(", ", image.shape)}] and [{string.Join(", ", text.shape)}]");
        if (scale.numel() != 1) throw new ArgumentException($"the logit scale must be a single number, got [{string.Join(", ", scale.shape)}]");
        using var scope = torch.NewDisposeScope();
        var g = image / image.norm(2, [1], keepdim: true);
        var t = text / text.norm(2, [1], keepdim: true);
        var logits = g.matmul(t.t()) * scale;
        var targets = torch.arange(image.size(0));
        var loss = (F.cross_entropy(logits, targets) + F.cross_entropy(logits.t(), targets)) * 0.5;
        return loss.MoveToOuterScope();
    }

    /// <summary>The same loss with a fixed scale.</summary>
    public static Tensor ImageText(Tensor image, Tensor text, double scale)
    {
        using var s = torch.scalar_tensor(scale);
        return ImageText(image, text, s);
    }
}
