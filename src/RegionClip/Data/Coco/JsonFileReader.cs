using System.Text.Json;

namespace RegionClip.Data.Coco;

/// <summary>
/// Streams the tokens of a JSON file through <see cref="Utf8JsonReader"/> with a bounded buffer that is refilled
/// (and grown only for a single token longer than it), so a 1 GB annotation file never lives in memory whole.
/// Parsers hold the reader in a local and advance it with <see cref="Read"/>, which refills transparently.
/// </summary>
internal sealed class JsonFileReader : IDisposable
{
    private const int InitialBufferSize = 1 << 20;
    private readonly FileStream _stream;
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _end;
    private bool _final;

    public JsonFileReader(string path)
    {
        Path = path;
        FileName = System.IO.Path.GetFileName(path);
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        Fill();
        // A UTF-8 byte-order mark is legal in a file but not in Utf8JsonReader's input.
        if (_end >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF)
        {
            Buffer.BlockCopy(_buffer, 3, _buffer, 0, _end - 3);
            _end -= 3;
        }
    }

    public string Path { get; }

    /// <summary>The file's name, used to start every error message.</summary>
    public string FileName { get; }

    public Utf8JsonReader Start() => new(_buffer.AsSpan(0, _end), _final, default);

    /// <summary>Advances to the next token, reading more of the file when the buffer runs out.</summary>
    public void Read(ref Utf8JsonReader reader)
    {
        while (!reader.Read())
        {
            if (_final) throw new JsonException("the file ends before the JSON document is complete (truncated?)");
            Refill(ref reader);
        }
    }

    /// <summary>Skips the value whose first token the reader is on (a scalar, or a whole object/array).</summary>
    public void Skip(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        // Fast path: the whole value is already buffered.
        var probe = reader;
        if (probe.TrySkip())
        {
            reader = probe;
            return;
        }
        int depth = reader.CurrentDepth;
        do Read(ref reader);
        while (reader.CurrentDepth > depth || reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray));
    }

    /// <summary>Moves the unread bytes to the front, reads more, and re-creates the reader over them.</summary>
    private void Refill(ref Utf8JsonReader reader)
    {
        var state = reader.CurrentState;
        int consumed = (int)reader.BytesConsumed;
        int remaining = _end - consumed;
        if (consumed > 0 && remaining > 0) Buffer.BlockCopy(_buffer, consumed, _buffer, 0, remaining);
        _end = remaining;
        // Nothing consumed and the buffer is full: one token is longer than the buffer.
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        Fill();
        reader = new Utf8JsonReader(_buffer.AsSpan(0, _end), _final, state);
    }

    private void Fill()
    {
        while (_end < _buffer.Length)
        {
            int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
            {
                _final = true;
                return;
            }
            _end += n;
        }
    }

    public void Dispose() => _stream.Dispose();
}
