using System.CommandLine;
using RegionClip.Structures;

namespace RegionClip.Cli.Commands;

/// <summary>--min-size / --max-size: detectron2's test-time resize.</summary>
internal sealed class DetectionResizeOptions
{
    internal Option<int> MinSize { get; } = new("--min-size") { Description = "Resize the shorter side to this many pixels", DefaultValueFactory = _ => 800 };
    internal Option<int> MaxSize { get; } = new("--max-size") { Description = "… unless the longer side would exceed this", DefaultValueFactory = _ => 1333 };

    internal IEnumerable<Option> All() => [MinSize, MaxSize];

    internal DetectionResize Get(ParseResult pr)
    {
        int min = pr.GetValue(MinSize), max = pr.GetValue(MaxSize);
        if (min < 1 || max < 1) throw new ArgumentException($"--min-size and --max-size must be positive (got {min} and {max})");
        return new DetectionResize(min, max);
    }
}
