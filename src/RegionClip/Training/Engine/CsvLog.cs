using System.Globalization;
using RegionClip.Common;

namespace RegionClip.Training.Engine;

/// <summary>
/// The per-step CSV logs of the trainers. A log always describes one run: opening it for a resumed
/// run keeps the rows up to the checkpoint's step and drops the rest (work the interrupted session did
/// after its last checkpoint, which will be redone).
/// </summary>
public static class CsvLog
{
    /// <summary>Rewrites <paramref name="path"/> with the header and the rows up to <paramref name="keepThroughStep"/> (0: a new run), then opens it for appending.</summary>
    public static StreamWriter Open<T>(string path, string header, long keepThroughStep,
        Func<string, IReadOnlyList<T>> read, Func<T, long> step, Func<T, string> format)
    {
        var kept = keepThroughStep > 0 && File.Exists(path) ? read(path).Where(r => step(r) <= keepThroughStep).ToList() : [];
        AtomicFile.WriteText(path, w =>
        {
            w.WriteLine(header);
            foreach (var r in kept) w.WriteLine(format(r));
        });
        return new StreamWriter(path, append: true) { AutoFlush = true };
    }

    /// <summary>The rows after the header, each of <paramref name="fields"/> fields; a bad row is an error naming the file, the line and <paramref name="kind"/>.</summary>
    public static List<T> Read<T>(string path, int fields, string kind, Func<string[], T> parse)
    {
        var rows = new List<T>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (line == 1 || text.Length == 0) continue;
            var f = text.Split(',');
            try
            {
                if (f.Length != fields) throw new FormatException($"{f.Length} fields instead of {fields}");
                rows.Add(parse(f));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}:{line}: not {kind} row ({e.Message}): '{text}'", e);
            }
        }
        return rows;
    }

    public static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);
    public static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
    public static double Num(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Round-trip text of a value (losses, learning rates: resume compares them exactly).</summary>
    public static string Exact(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    public static string Fixed(double v, int decimals) => v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    public static string Text(long v) => v.ToString(CultureInfo.InvariantCulture);
}
