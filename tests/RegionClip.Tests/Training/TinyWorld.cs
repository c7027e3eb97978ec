using RegionClip.Synthetic;
using RegionClip.Training;

namespace RegionClip.Tests.Training;

/// <summary>A small synthetic world (train and val splits in one folder) shared by a test class, and a teacher small enough to train in a blink.</summary>
public sealed class TinyWorld : IDisposable
{
    private readonly TempDir _dir = new("teacher-world");

    public TinyWorld()
    {
        WorldWriter.Write(_dir.FullName, new WorldOptions { Images = 12, Seed = 3, Split = "train", Width = 64, Height = 48, Parallelism = 2 });
        WorldWriter.Write(_dir.FullName, new WorldOptions { Images = 8, Seed = 4, Split = "val", Width = 64, Height = 48, SingleObjectFraction = 0.5, Parallelism = 2 });
    }

    public string Dir => _dir.FullName;
    public string VocabularyPath => Path.Combine(Dir, WorldVocabulary.FileName);

    /// <summary>12 images in batches of 4: 3 steps per epoch, 6 in all; a checkpoint every 2 steps.</summary>
    public static TeacherOptions TinyTeacher => new()
    {
        Model = new() { Resolution = 32, VisionWidth = 8, VisionLayers = [1, 1, 1, 1], EmbedDim = 16, TextWidth = 64, TextLayers = 1, ContextLength = 24 },
        Solver = new() { BatchSize = 4, Epochs = 2, WarmupSteps = 2, CheckpointEvery = 2, LearningRate = 1e-3 },
        Seed = 11,
    };

    /// <summary><see cref="TinyTeacher"/> with its solver section changed.</summary>
    public static TeacherOptions TinyTeacherWith(Func<TeacherSolverOptions, TeacherSolverOptions> solver) =>
        TinyTeacher with { Solver = solver(TinyTeacher.Solver) };

    public void Dispose() => _dir.Dispose();
}
