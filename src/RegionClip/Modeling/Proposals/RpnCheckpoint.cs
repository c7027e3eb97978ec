using RegionClip.Torch;
using RegionClip.Torch.Serialization;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// Reads the offline-RPN part of a checkpoint in detectron2's key names: "backbone.*" and
/// "proposal_generator.*" of an rpn_*.pth file ({"model": …} or a bare state dict), or the
/// "offline_backbone.*" / "offline_proposal_generator.*" copy inside a RegionCLIP checkpoint. A
/// CLIP-named backbone ("backbone.conv1", "backbone.layer1…") is the clipbackbone variant.
/// </summary>
internal static class RpnCheckpoint
{
    private const string Backbone = "backbone.", Generator = "proposal_generator.";
    private const string OfflineBackbone = "offline_backbone.", OfflineGenerator = "offline_proposal_generator.";

    /// <summary>The RPN tensors by detectron2 key (owned by the caller); every other tensor of the file is freed.</summary>
    public static OrderedDictionary<string, Tensor> Load(string path)
    {
        var all = Checkpoint.LoadStateDict(path, halfToFloat: true);
        var kept = new OrderedDictionary<string, Tensor>();
        try
        {
            var keys = all.Keys.ToList();
            bool offline = keys.Any(k => k.StartsWith(OfflineGenerator, StringComparison.Ordinal));
            if (!offline && !keys.Any(k => k.StartsWith(Generator + "rpn_head.", StringComparison.Ordinal)))
                throw new InvalidDataException(DescribeNonRpn(path, keys));
            foreach (var (key, tensor) in all)
            {
                var name = offline ? Rename(key) : key;
                // Cell anchors (old detectron2 files, this project's trained RPNs) stay: RpnConfig reads them.
                if (name is null || !(name.StartsWith(Backbone, StringComparison.Ordinal) || name.StartsWith(Generator, StringComparison.Ordinal)))
                    continue;
                kept[name] = tensor;
            }
            return kept;
        }
        catch
        {
            kept.Clear();
            throw;
        }
        finally
        {
            var owned = new HashSet<Tensor>(kept.Values, ReferenceEqualityComparer.Instance);
            foreach (var (_, t) in all)
                if (!owned.Contains(t)) t.Dispose();
        }
    }

    private static string? Rename(string key) =>
        key.StartsWith(OfflineBackbone, StringComparison.Ordinal) ? Backbone + key[OfflineBackbone.Length..]
        : key.StartsWith(OfflineGenerator, StringComparison.Ordinal) ? Generator + key[OfflineGenerator.Length..]
        : null;

    private static string DescribeNonRpn(string path, IReadOnlyList<string> keys)
    {
        if (keys.Any(k => k.StartsWith("visual.", StringComparison.Ordinal)))
            return $"'{path}' is a CLIP checkpoint (visual.* / transformer.* keys), not a region proposal network: pass an RPN checkpoint such as rpn_lvis_866.pth or rpn_coco_48.pth";
        if (keys.Any(k => k.StartsWith("backbone.attnpool.", StringComparison.Ordinal) || k.StartsWith("lang_encoder.", StringComparison.Ordinal)))
            return $"'{path}' is a RegionCLIP/CLIP model checkpoint without an offline RPN (no 'proposal_generator.rpn_head.*' or 'offline_proposal_generator.*' keys): pass an RPN checkpoint such as rpn_lvis_866.pth";
        var groups = keys.Select(k => k.Split('.')[0]).Distinct().Take(8);
        return $"'{path}' is not a region proposal network checkpoint: it has no 'proposal_generator.rpn_head.*' keys (top-level groups: {string.Join(", ", groups)})";
    }
}
