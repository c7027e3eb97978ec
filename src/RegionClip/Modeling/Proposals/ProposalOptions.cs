namespace RegionClip.Modeling.Proposals;

/// <summary>
/// Test-time proposal selection (detectron2's RPN.NMS_THRESH, PRE/POST_NMS_TOPK_TEST,
/// PROPOSAL_GENERATOR.MIN_SIZE). <paramref name="PreNmsTopK"/> null means the network's own default:
/// 6000 for C4, 1000 per level for FPN.
/// </summary>
/// <param name="NmsThreshold">IoU above which a lower-scoring proposal of the same level is suppressed.</param>
/// <param name="PreNmsTopK">Proposals kept per level (by raw logit) before NMS.</param>
/// <param name="PostNmsTopK">Proposals kept per image after NMS, over all levels.</param>
/// <param name="MinSize">Boxes whose width or height is not above this (in input pixels) are dropped.</param>
public sealed record ProposalOptions(double NmsThreshold = 0.7, int? PreNmsTopK = null, int PostNmsTopK = 1000, double MinSize = 0)
{
    /// <summary>Zero-shot inference: OFFLINE_RPN_NMS_THRESH 0.9, 1000 proposals.</summary>
    public static ProposalOptions ZeroShot(RpnKind kind) => new(0.9, DefaultPreNmsTopK(kind), 1000);

    /// <summary>Pretraining: NMS 0.5, PRETRAIN_RPN_REGIONS 300.</summary>
    public static ProposalOptions Pretraining(RpnKind kind) => new(0.5, DefaultPreNmsTopK(kind), 300);

    /// <summary>Transfer learning: NMS 0.7, 1000 proposals.</summary>
    public static ProposalOptions Transfer(RpnKind kind) => new(0.7, DefaultPreNmsTopK(kind), 1000);

    /// <summary>detectron2's PRE_NMS_TOPK_TEST: 6000 for C4 and the CLIP-backbone RPN (one level), 1000 per level for FPN.</summary>
    public static int DefaultPreNmsTopK(RpnKind kind) => kind.IsSingleLevel() ? 6000 : 1000;

    /// <summary>The per-level pre-NMS count for <paramref name="kind"/>.</summary>
    public int PreNmsTopKFor(RpnKind kind) => PreNmsTopK ?? DefaultPreNmsTopK(kind);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate()
    {
        if (double.IsNaN(NmsThreshold)) throw new ArgumentException("ProposalOptions.NmsThreshold is NaN");
        if (PreNmsTopK is < 1) throw new ArgumentException($"ProposalOptions.PreNmsTopK must be positive, got {PreNmsTopK}");
        if (PostNmsTopK < 0) throw new ArgumentException($"ProposalOptions.PostNmsTopK must not be negative, got {PostNmsTopK}");
        if (!double.IsFinite(MinSize) || MinSize < 0) throw new ArgumentException($"ProposalOptions.MinSize must be a finite number ≥ 0, got {MinSize}");
    }
}
