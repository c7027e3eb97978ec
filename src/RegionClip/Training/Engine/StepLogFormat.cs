namespace RegionClip.Training.Engine;

/// <summary>
/// How one trainer's step records look in its CSV log: the header, the field count, and the two
/// conversions. One <see cref="StepLog{TRecord}"/> serves every trainer through it.
/// </summary>
public sealed record StepLogFormat<TRecord>(string Header, int Fields, string Kind, Func<string[], TRecord> Parse, Func<TRecord, string> Format, Func<TRecord, long> Step);

/// <summary>
/// A trainer's per-step CSV log, open for appending. Opening it for a resumed run keeps the rows up to
/// the checkpoint's step (<see cref="CsvLog"/>), so the log always describes one run.
/// </summary>
public sealed class StepLog<TRecord> : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly StepLogFormat<TRecord> _format;

    private StepLog(string path, StreamWriter writer, StepLogFormat<TRecord> format) => (Path, _writer, _format) = (path, writer, format);

    public string Path { get; }

    /// <summary>Opens the log at <paramref name="path"/>, keeping the rows up to <paramref name="keepThroughStep"/> (0: a new run).</summary>
    public static StepLog<TRecord> Open(string path, long keepThroughStep, StepLogFormat<TRecord> format) =>
        new(path, CsvLog.Open(path, format.Header, keepThroughStep, p => Read(p, format), format.Step, format.Format), format);

    public void Append(TRecord record) => _writer.WriteLine(_format.Format(record));

    /// <summary>The rows of a log; a bad row is an error naming the file and the line.</summary>
    public static IReadOnlyList<TRecord> Read(string path, StepLogFormat<TRecord> format) =>
        CsvLog.Read(path, format.Fields, format.Kind, format.Parse);

    public void Dispose() => _writer.Dispose();
}
