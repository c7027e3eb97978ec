using RegionClip.Common;
using RegionClip.Training;

namespace RegionClip.Tests.Training;

/// <summary>The teacher's YAML config: sections model, solver, input over a preset; validation names the dotted field.</summary>
public sealed class TeacherOptionsFileTests
{
    private static TeacherOptions Parse(string yaml, TeacherOptions? preset = null) =>
        OptionsFile<TeacherOptions>.Parse(yaml, "teacher.yaml", "/cfg", preset);

    [Fact]
    public void NestedSectionsLoadIntoTheirFields()
    {
        var o = Parse("""
            seed: 4
            model:
              embed_dim: 64
              resolution: 96
              vision_width: 8
              vision_layers: [1, 2, 2, 1]
              text_width: 192
              text_layers: 3
              context_length: 40
            solver:
              batch_size: 64
              epochs: 3
              learning_rate: 1e-3
              min_learning_rate_factor: 0.1
              learn_temperature: false
              checkpoint_every: 25
            input:
              horizontal_flip: off
            """, TeacherOptions.Quick);
        Assert.Equal(4UL, o.Seed);
        Assert.Equal((64, 96, 8, 192, 3, 40), (o.Model.EmbedDim, o.Model.Resolution, o.Model.VisionWidth, o.Model.TextWidth, o.Model.TextLayers, o.Model.ContextLength));
        Assert.Equal([1, 2, 2, 1], o.Model.VisionLayers);
        Assert.Equal((64, 3, 1e-3, 0.1, false, 25), (o.Solver.BatchSize, o.Solver.Epochs, o.Solver.LearningRate, o.Solver.MinLearningRateFactor, o.Solver.LearnTemperature, o.Solver.CheckpointEvery));
        Assert.Equal(360, o.Solver.Steps);   // the preset's
        Assert.Equal(TeacherOptions.Default.Solver.WeightDecay, o.Solver.WeightDecay);
        Assert.False(o.Input.HorizontalFlip);
        var config = o.ModelConfig(500);
        Assert.Equal((96, 8, 192, 3, 500), (config.ImageResolution, config.VisionWidth, config.TransformerWidth, config.TransformerHeads, config.VocabSize));
        Assert.Equal(360, TeacherOptions.Quick.Solver.Steps);   // the preset is not changed
        Assert.Equal(1.5e-3, TeacherOptions.Quick.Solver.LearningRate);
    }

    [Theory]
    [InlineData("solver:\n  lerning_rate: 0.1\n", "teacher.yaml:2:3: unknown field 'solver.lerning_rate' (did you mean 'learning_rate'?)")]
    [InlineData("vision_width: 8\n", "teacher.yaml:1:1: unknown field 'vision_width' (did you mean 'model.vision_width'?)")]
    [InlineData("model: 64\n", "teacher.yaml:1:8: field 'model' is a section")]
    [InlineData("solver:\n  epochs: many\n", "field 'solver.epochs': 'many' is not an integer")]
    public void MistakesNameTheFileLineAndDottedField(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Parse(yaml));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("model:\n  resolution: 48", "model.resolution: must be a multiple of 32 in 32..1024, got 48")]
    [InlineData("model:\n  vision_width: 7", "model.vision_width: must be even and positive, got 7")]
    [InlineData("model:\n  vision_layers: [1, 1]", "model.vision_layers: the vision tower needs 4 stage depths")]
    [InlineData("model:\n  text_width: 100", "model.text_width: must be a positive multiple of 64, got 100")]
    [InlineData("solver:\n  batch_size: 1", "solver.batch_size: contrastive training needs a batch of at least 2, got 1")]
    [InlineData("solver:\n  epochs: 2\n  minutes: 3", "solver.minutes: give a length in minutes or in epochs, not both")]
    [InlineData("solver:\n  steps: 0", "solver.steps: must be at least 1, got 0")]
    [InlineData("solver:\n  learning_rate: -1", "solver.learning_rate: must be positive, got -1")]
    [InlineData("solver:\n  temperature: 2", "solver.temperature: must be in (0, 1]")]
    [InlineData("solver:\n  checkpoint_every: 0", "solver.checkpoint_every: must be at least 1")]
    public void ValidationNamesTheDottedField(string yaml, string expected)
    {
        var e = Assert.Throws<ArgumentException>(Parse(yaml).Validate);
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void ThePresetsAreValidAndDifferOnlyInLength()
    {
        TeacherOptions.Default.Validate();
        TeacherOptions.Quick.Validate();
        Assert.Equal(1800, TeacherOptions.Default.Solver.Steps);
        Assert.Equal(TeacherOptions.Default with { Solver = TeacherOptions.Default.Solver with { Steps = 360 } }, TeacherOptions.Quick with { Model = TeacherOptions.Default.Model });
    }
}
