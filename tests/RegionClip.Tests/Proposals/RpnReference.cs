using System.Text.Json;
using RegionClip.Modeling.Proposals;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Proposals;

/// <summary>
/// tests/fixtures/rpn (tools/fixtures/gen_rpn.py): seeded random-weight reduced-width R50-C4, R50-FPN
/// and R50-FPN-LSJ RPN checkpoints and the proposals tools/fixtures/rpn_reference.py computes for them.
/// </summary>
internal sealed class RpnReference : IDisposable
{
    internal sealed record Case(string Key, RpnKind Kind, string File, int[] Images, double Nms, int? PreNmsTopK, int PostNmsTopK)
    {
        public string Path => Paths.Fixture("rpn", File);
        public ProposalOptions Options => new(Nms, PreNmsTopK, PostNmsTopK);
    }

    private readonly OrderedDictionary<string, Tensor> _tensors;

    internal RpnReference()
    {
        _tensors = Checkpoint.LoadStateDict(Paths.Fixture("rpn", "rpn_ref.pt"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Paths.Fixture("rpn", "rpn_ref.json")));
        Cases = doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("key").GetString()!,
            Enum.Parse<RpnKind>(c.GetProperty("kind").GetString()!),
            c.GetProperty("file").GetString()!,
            c.GetProperty("images").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            c.GetProperty("nms").GetDouble(),
            c.GetProperty("pre_nms_topk").ValueKind == JsonValueKind.Null ? null : c.GetProperty("pre_nms_topk").GetInt32(),
            c.GetProperty("post_nms_topk").GetInt32())).ToList();
    }

    internal IReadOnlyList<Case> Cases { get; }
    internal Tensor this[string key] => _tensors[key];
    internal Tensor Image(int i) => _tensors[$"image{i}"];

    internal static string FileOf(RpnKind kind) => Paths.Fixture("rpn", kind switch
    {
        RpnKind.C4 => "rpn_c4.pth",
        RpnKind.Fpn => "rpn_fpn.pth",
        _ => "rpn_fpn_lsj.pth",
    });

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
    }
}
