using RegionClip.Torch;
using RegionClip.Torch.Serialization;

namespace RegionClip.Checkpoints;

/// <summary>What <see cref="CheckpointConverter.Convert"/> read and wrote.</summary>
public sealed record ConversionReport(
    string Input,
    string Output,
    string InputKind,
    int Tensors,
    long Elements,
    IReadOnlyDictionary<string, int> DtypesIn,
    IReadOnlyDictionary<string, int> DtypesOut);

/// <summary>
/// Rewrites any supported checkpoint (torch.save zip, detectron2 {"model": …} wrapper,
/// TorchScript archive) as a plain torch.save state dict that Python's torch.load reads back.
/// </summary>
public static class CheckpointConverter
{
    public static ConversionReport Convert(string input, string output, bool halfToFloat)
    {
        if (Path.GetFullPath(input) == Path.GetFullPath(output))
            throw new ArgumentException($"--out must differ from --in ('{input}')");
        var kind = Checkpoint.Identify(input);

        var original = Checkpoint.LoadStateDict(input, halfToFloat: false);
        try
        {
            var dtypesIn = CountDtypes(original.Values);
            var converted = new OrderedDictionary<string, Tensor>();
            long elements = 0;
            foreach (var (key, t) in original)
            {
                converted[key] = halfToFloat && t.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? t.to(ScalarType.Float32) : t;
                elements += t.numel();
            }
            try
            {
                Checkpoint.SaveStateDict(converted, output);
                return new ConversionReport(input, output, kind.ToString(), converted.Count, elements, dtypesIn, CountDtypes(converted.Values));
            }
            finally
            {
                foreach (var (key, t) in converted)
                    if (!ReferenceEquals(t, original[key])) t.Dispose();
            }
        }
        finally
        {
            foreach (var t in original.Values) t.Dispose();
        }
    }

    private static Dictionary<string, int> CountDtypes(IEnumerable<Tensor> tensors) =>
        tensors.GroupBy(t => t.dtype.Name()).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
}
