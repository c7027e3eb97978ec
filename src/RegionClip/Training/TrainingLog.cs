using System.Globalization;

namespace RegionClip.Training;

/// <summary>One optimisation step as logged.</summary>
public sealed record StepRecord(long Step, int Epoch, double Loss, double LearningRate, double Temperature, double ImagesPerSecond, double Seconds);

/// <summary>
/// The per-step CSV log (step, epoch, loss, learning rate, temperature, images/s, seconds). On
/// resume, rows after the checkpoint's step (work the interrupted session did after its last
/// checkpoint, which will be redone) are dropped, so the file always describes one run.
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
    public static TrainingLog Open(string path, long keepThroughStep)
    {
        var kept = keepThroughStep > 0 && File.Exists(path) ? Read(path).Where(r => r.Step <= keepThroughStep).ToList() : [];
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp, append: false))
        {
            w.WriteLine(Header);
            foreach (var r in kept) w.WriteLine(Format(r));
        }
        File.Move(tmp, path, overwrite: true);
        return new TrainingLog(path, new StreamWriter(path, append: true) { AutoFlush = true });
    }

    public void Append(StepRecord r) => _writer.WriteLine(Format(r));

    public static IReadOnlyList<StepRecord> Read(string path)
    {
        var rows = new List<StepRecord>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (line == 1 || text.Length == 0) continue;
            var f = text.Split(',');
            try
            {
                if (f.Length != 7) throw new FormatException($"{f.Length} fields instead of 7");
                rows.Add(new StepRecord(long.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
                    Num(f[2]), Num(f[3]), Num(f[4]), Num(f[5]), Num(f[6])));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}:{line}: not a training-log row ({e.Message}): '{text}'", e);
            }
        }
        return rows;
    }

    private static double Num(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Format(StepRecord r) => string.Join(',',
        r.Step.ToString(CultureInfo.InvariantCulture), r.Epoch.ToString(CultureInfo.InvariantCulture),
        r.Loss.ToString("R", CultureInfo.InvariantCulture), r.LearningRate.ToString("R", CultureInfo.InvariantCulture),
        r.Temperature.ToString("R", CultureInfo.InvariantCulture), r.ImagesPerSecond.ToString("F2", CultureInfo.InvariantCulture),
        r.Seconds.ToString("F3", CultureInfo.InvariantCulture));

    public void Dispose() => _writer.Dispose();
}
