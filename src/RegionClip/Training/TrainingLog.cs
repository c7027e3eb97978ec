using RegionClip.Training.Engine;

namespace RegionClip.Training;

/// <summary>One optimisation step as logged.</summary>
public sealed record StepRecord(long Step, int Epoch, double Loss, double LearningRate, double Temperature, double ImagesPerSecond, double Seconds);

/// <summary>
/// The teacher's per-step CSV log: step, epoch, loss, learning rate, temperature, images/s, seconds
/// (<see cref="StepLog{TRecord}"/>).
/// </summary>
public static class TrainingLog
{
    public static StepLogFormat<StepRecord> Format { get; } = new(
        "step,epoch,loss,learning_rate,temperature,images_per_second,seconds", 7, "a training-log",
        f => new StepRecord(CsvLog.Long(f[0]), CsvLog.Int(f[1]), CsvLog.Num(f[2]), CsvLog.Num(f[3]), CsvLog.Num(f[4]), CsvLog.Num(f[5]), CsvLog.Num(f[6])),
        r => string.Join(',', CsvLog.Text(r.Step), CsvLog.Text(r.Epoch), CsvLog.Exact(r.Loss), CsvLog.Exact(r.LearningRate),
            CsvLog.Exact(r.Temperature), CsvLog.Fixed(r.ImagesPerSecond, 2), CsvLog.Fixed(r.Seconds, 3)),
        r => r.Step);

    /// <summary>Opens the log, keeping the rows up to <paramref name="keepThroughStep"/> (0: a new run).</summary>
    public static StepLog<StepRecord> Open(string path, long keepThroughStep) => StepLog<StepRecord>.Open(path, keepThroughStep, Format);

    public static IReadOnlyList<StepRecord> Read(string path) => StepLog<StepRecord>.Read(path, Format);
}
