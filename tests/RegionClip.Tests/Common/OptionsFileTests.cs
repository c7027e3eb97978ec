using System.Text.Json.Serialization;
using RegionClip.Common;

namespace RegionClip.Tests.Common;

/// <summary>The one YAML options reader: nested sections, paths relative to the file, defaults kept, errors named.</summary>
public sealed class OptionsFileTests
{
    public sealed record Solver
    {
        public double LearningRate { get; init; } = 0.1;
        public int[] Milestones { get; init; } = [10, 20];
    }

    public sealed record Options
    {
        public Solver Solver { get; init; } = new();
        [PathOption] public string? Data { get; init; }
        public string Name { get; init; } = "run";
        [JsonIgnore] public bool Resume { get; init; }
    }

    [Fact]
    public void NestedSectionsOverrideOnlyWhatTheyName()
    {
        var defaults = new Options();
        var o = OptionsFile<Options>.Parse("solver:\n  learning_rate: 0.02\ndata: images/train\n", "c.yaml", "/base", defaults);
        Assert.Equal(0.02, o.Solver.LearningRate);
        Assert.Equal([10, 20], o.Solver.Milestones);
        Assert.Equal("/base/images/train", o.Data);
        Assert.Equal("run", o.Name);
        Assert.Equal(0.1, defaults.Solver.LearningRate);   // the defaults are not changed
    }

    [Theory]
    [InlineData("solver:\n  learning_rat: 1\n", "c.yaml:2:3: unknown field 'solver.learning_rat' (did you mean 'learning_rate'?)")]
    [InlineData("solver: 3\n", "c.yaml:1:9: field 'solver' is a section")]
    [InlineData("resume: true\n", "unknown field 'resume'")]
    [InlineData("learning_rate: 1\n", "c.yaml:1:1: unknown field 'learning_rate' (did you mean 'solver.learning_rate'?)")]
    [InlineData("solver:\n  milestones: [1, x]\n", "field 'solver.milestones': 'x' is not an integer")]
    public void MistakesNameTheFileLineAndField(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => OptionsFile<Options>.Parse(yaml, "c.yaml", "/base"));
        Assert.Contains(expected, e.Message);
    }
}
