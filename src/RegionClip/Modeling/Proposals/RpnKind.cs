namespace RegionClip.Modeling.Proposals;

/// <summary>The offline RPN variants (C4, FPN, FPN-LSJ, CLIP C4), told apart by their checkpoint keys.</summary>
public enum RpnKind
{
    /// <summary>R50-C4 (rpn_coco_48.pth): the RPN on res4, 15 anchors per location.</summary>
    C4,
    /// <summary>R50-FPN (rpn_lvis_866.pth): the RPN on p2..p6, 3 anchors per location.</summary>
    Fpn,
    /// <summary>R50-FPN trained with large-scale jitter (rpn_lvis_866_lsj.pth): BN in the backbone and FPN, two 3×3 convs in the head.</summary>
    FpnLsj,
    /// <summary>
    /// The official "clipbackbone" variant: CLIP's ModifiedResNet stem..layer3 (res4, stride 16) under
    /// "backbone.conv1…layer3" keys, CLIP-normalised RGB input, C4 anchors and a StandardRPNHead.
    /// </summary>
    ClipC4,
}

/// <summary>Facts about the variants.</summary>
public static class RpnKinds
{
    /// <summary>One anchor level on res4 (stride 16): C4 and the CLIP-backbone RPN.</summary>
    public static bool IsSingleLevel(this RpnKind kind) => kind is RpnKind.C4 or RpnKind.ClipC4;
}
