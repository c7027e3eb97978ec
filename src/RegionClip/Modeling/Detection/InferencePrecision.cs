namespace RegionClip.Modeling.Detection;

/// <summary>The number format of the region features' convolutions at inference (<see cref="RegionClipModel.Precision"/>).</summary>
public enum InferencePrecision
{
    /// <summary>float32 throughout: the default, and what every parity check uses.</summary>
    Float32,

    /// <summary>
    /// The backbone's and res5's convolutions in bfloat16 (oneDNN on CPUs with AVX-512 BF16 or AMX), with the batch
    /// norms folded in float32 first; RoIAlign, the attention pool and the scores stay float32. Region features
    /// differ from float32 in the third significant digit.
    /// </summary>
    BFloat16,
}

/// <summary>Whether this CPU runs bfloat16 convolutions natively.</summary>
public static class BFloat16Support
{
    private static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>Null when supported; else why not, in a sentence.</summary>
    public static string? WhyNot => Missing.Value;

    /// <summary>Throws <see cref="NotSupportedException"/> naming the CPU when it has no native bfloat16.</summary>
    public static void EnsureAvailable()
    {
        if (WhyNot is { } why) throw new NotSupportedException($"bfloat16 inference is not available: {why}; use float32 precision");
    }

    private static string? Probe()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!OperatingSystem.IsLinux() || !File.Exists(cpuinfo)) return "the CPU's features cannot be read here (no /proc/cpuinfo)";
        string? model = null, flags = null;
        foreach (var line in File.ReadLines(cpuinfo))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            if (key == "model name") model ??= line[(colon + 1)..].Trim();
            else if (key == "flags") flags ??= line[(colon + 1)..];
            if (model is not null && flags is not null) break;
        }
        var set = (flags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return set.Contains("avx512_bf16") || set.Contains("amx_bf16") ? null
            : $"this CPU ({model ?? "unknown model"}) has neither AVX-512 BF16 nor AMX, so bfloat16 would be emulated and slower than float32";
    }
}
