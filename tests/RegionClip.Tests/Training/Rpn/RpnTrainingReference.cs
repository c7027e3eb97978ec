using System.Text.Json;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Training.Rpn;

/// <summary>
/// tests/fixtures/rpn_training (tools/fixtures/gen_rpn_training.py): detectron2's matching, sampling
/// and losses computed by tools/fixtures/rpn_training_reference.py, one training step of a tiny BN RPN,
/// and a random-weight CLIP-backbone RPN with its proposals.
/// </summary>
internal sealed class RpnTrainingReference : IDisposable
{
    private readonly OrderedDictionary<string, Tensor> _tensors;

    internal RpnTrainingReference()
    {
        _tensors = Checkpoint.LoadStateDict(Paths.Fixture("rpn_training", "rpn_training_ref.pt"));
        Meta = JsonDocument.Parse(File.ReadAllText(Paths.Fixture("rpn_training", "rpn_training_ref.json")));
    }

    internal JsonDocument Meta { get; }
    internal Tensor this[string key] => _tensors.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"fixture has no tensor '{key}'");

    /// <summary>The tensors whose keys start with <paramref name="prefix"/> + ".", by the rest of the key.</summary>
    internal Dictionary<string, Tensor> Group(string prefix) => _tensors
        .Where(kv => kv.Key.StartsWith(prefix + ".", StringComparison.Ordinal))
        .ToDictionary(kv => kv.Key[(prefix.Length + 1)..], kv => kv.Value);

    internal static string ClipRpnPath => Paths.Fixture("rpn_training", "rpn_clip.pth");

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        Meta.Dispose();
    }
}
