using System.Text.Json;
using RegionClip.Common;

namespace RegionClip.Training.Engine;

/// <summary>
/// A per-step log of JSON objects, one per line (the format other tools read without a schema). As
/// <see cref="CsvLog"/>, opening it for a resumed run keeps the lines up to the checkpoint's step.
/// </summary>
public sealed class JsonLinesLog<TRecord> : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly JsonSerializerOptions _json;

    private JsonLinesLog(string path, StreamWriter writer, JsonSerializerOptions json) => (Path, _writer, _json) = (path, writer, json);

    public string Path { get; }

    /// <summary>Opens <paramref name="path"/>, keeping the records whose step is at most <paramref name="keepThroughStep"/> (0: a new run).</summary>
    public static JsonLinesLog<TRecord> Open(string path, long keepThroughStep, Func<TRecord, long> step, JsonSerializerOptions json)
    {
        var kept = keepThroughStep > 0 && File.Exists(path) ? Read(path, json).Where(r => step(r) <= keepThroughStep).ToList() : [];
        AtomicFile.WriteText(path, w => { foreach (var r in kept) w.WriteLine(JsonSerializer.Serialize(r, json)); });
        return new JsonLinesLog<TRecord>(path, new StreamWriter(path, append: true) { AutoFlush = true }, json);
    }

    public void Append(TRecord record) => _writer.WriteLine(JsonSerializer.Serialize(record, _json));

    /// <summary>The records of a log; a bad line is an error naming the file and the line.</summary>
    public static List<TRecord> Read(string path, JsonSerializerOptions json)
    {
        var records = new List<TRecord>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<TRecord>(text, json) ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{line}: not a step record: {e.Message}", e);
            }
        }
        return records;
    }

    public void Dispose() => _writer.Dispose();
}
