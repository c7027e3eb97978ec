namespace RegionClip.Training;

/// <summary>One optimisation step as logged.</summary>
public sealed record StepRecord(long Step, int Epoch, double Loss, double LearningRate, double Temperature, double ImagesPerSecond, double Seconds);

/// <summary>
/// The teacher's per-step CSV log (step, epoch, loss, learning rate, temperature, images/s, seconds);
/// on resume it keeps the rows up to the checkpoint's step (<see cref="CsvLog"/>).
/// </summary>
public sealed class TrainingLog : IDisposable
{
    public const string Header = "step,epoch,loss,learning_rate,temperature,images_per_second,seconds";
    private readonly StreamWriter _writer;

    private TrainingLog(string path, StreamWriter writer)
    {
        Path = path;
        _writer = writer;
    }

    public string Path { get; }

    /// <summary>Opens the log, keeping the rows up to <paramref name="keepThroughStep"/> (0: a new run).</summary>
    public static TrainingLog Open(string path, long keepThroughStep) =>
        new(path, CsvLog.Open(path, Header, keepThroughStep, Read, r => r.Step, Format));

    public void Append(StepRecord r) => _writer.WriteLine(Format(r));

    public static IReadOnlyList<StepRecord> Read(string path) => CsvLog.Read(path, 7, "a training-log", f =>
        new StepRecord(CsvLog.Long(f[0]), CsvLog.Int(f[1]), CsvLog.Num(f[2]), CsvLog.Num(f[3]), CsvLog.Num(f[4]), CsvLog.Num(f[5]), CsvLog.Num(f[6])));

    private static string Format(StepRecord r) => string.Join(',', CsvLog.Text(r.Step), CsvLog.Text(r.Epoch),
        CsvLog.Exact(r.Loss), CsvLog.Exact(r.LearningRate), CsvLog.Exact(r.Temperature), CsvLog.Fixed(r.ImagesPerSecond, 2), CsvLog.Fixed(r.Seconds, 3));

    public void Dispose() => _writer.Dispose();
}
