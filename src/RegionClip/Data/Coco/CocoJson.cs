using System.Buffers;
using System.Text;
using System.Text.Json;
using RegionClip.Structures;

namespace RegionClip.Data.Coco;

/// <summary>Where a value sits in a COCO file, for error messages: "annotations[12] (id 5)".</summary>
internal struct RecordRef(string section, int index)
{
    public readonly string Section = section;
    public readonly int Index = index;
    public long? Id;

    public override readonly string ToString() => Id is long id ? $"{Section}[{Index}] (id {id})" : $"{Section}[{Index}]";
}

/// <summary>Typed field readers over a streaming reader; every failure names the file, the record and the field.</summary>
internal static class CocoJson
{
    public static InvalidDataException Error(JsonFileReader src, in RecordRef at, string message) =>
        new($"{src.FileName}: {at}: {message}");

    public static InvalidDataException Error(JsonFileReader src, string message) => new($"{src.FileName}: {message}");

    /// <summary>Runs a parse over the file, turning syntax errors into one message that says where parsing was.</summary>
    public static T Parse<T>(string path, Func<JsonFileReader, T> parse)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        using var src = new JsonFileReader(path);
        try
        {
            return parse(src);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{src.FileName}: invalid JSON{Where(e)}: {Strip(e.Message)}", e);
        }
    }

    private static string Where(JsonException e) =>
        e.LineNumber is long line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";

    // Utf8JsonReader appends its own "LineNumber: ... | BytePositionInLine: ..." which Where() already reports.
    private static string Strip(string message)
    {
        int i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }

    public static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    /// <summary>Reads the top-level '{' (or fails naming what the file holds instead).</summary>
    public static void ExpectRootObject(ref Utf8JsonReader r, JsonFileReader src, string what)
    {
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.StartObject)
            throw Error(src, $"expected {what} (a JSON object at the top level), found {Describe(r.TokenType)}");
    }

    /// <summary>After a property name: moves to its value and checks it is an array.</summary>
    public static void ExpectArray(ref Utf8JsonReader r, JsonFileReader src, string section)
    {
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.StartArray)
            throw Error(src, $"\"{section}\" must be an array, found {Describe(r.TokenType)}");
    }

    /// <summary>Inside an array: moves to the next element; false at the closing ']'. Each element must be an object.</summary>
    public static bool NextObject(ref Utf8JsonReader r, JsonFileReader src, in RecordRef at)
    {
        src.Read(ref r);
        if (r.TokenType == JsonTokenType.EndArray) return false;
        if (r.TokenType != JsonTokenType.StartObject)
            throw Error(src, at, $"must be an object, found {Describe(r.TokenType)}");
        return true;
    }

    /// <summary>Inside an object: moves to the next property name; false at the closing '}'.</summary>
    public static bool NextProperty(ref Utf8JsonReader r, JsonFileReader src)
    {
        src.Read(ref r);
        return r.TokenType != JsonTokenType.EndObject;
    }

    /// <summary>Moves from a property name to its value.</summary>
    public static void Value(ref Utf8JsonReader r, JsonFileReader src) => src.Read(ref r);

    public static long Int64(ref Utf8JsonReader r, JsonFileReader src, in RecordRef at, string field)
    {
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out long v))
            throw Error(src, at, $"field \"{field}\" must be an integer, found {Found(ref r)}");
        return v;
    }

    public static int Int32(ref Utf8JsonReader r, JsonFileReader src, in RecordRef at, string field)
    {
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out int v) || v < 0)
            throw Error(src, at, $"field \"{field}\" must be a non-negative integer, found {Found(ref r)}");
        return v;
    }

    public static double Finite(ref Utf8JsonReader r, JsonFileReader src, in RecordRef at, string field)
    {
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.Number || !r.TryGetDouble(out double v))
            throw Error(src, at, $"field \"{field}\" must be a number, found {Found(ref r)}");
        if (!double.IsFinite(v)) throw Error(src, at, $"field \"{field}\" must be finite, found {Found(ref r)}");
        return v;
    }

    public static string String(ref Utf8JsonReader r, JsonFileReader src, in RecordRef at, string field)
    {
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.String)
            throw Error(src, at, $"field \"{field}\" must be a string, found {Found(ref r)}");
        try
        {
            return r.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Error(src, at, $"field \"{field}\" is not valid UTF-8 text");
        }
    }

    /// <summary>iscrowd: 0/1 as in COCO, or a boolean.</summary>
    public static bool Flag(ref Utf8JsonReader r, JsonFileReader src, in RecordRef at, string field)
    {
        src.Read(ref r);
        switch (r.TokenType)
        {
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            case JsonTokenType.Number when r.TryGetInt64(out long v) && v is 0 or 1: return v == 1;
            default: throw Error(src, at, $"field \"{field}\" must be 0 or 1, found {Found(ref r)}");
        }
    }

    /// <summary>[x, y, width, height]: four finite numbers with non-negative width and height.</summary>
    public static double[] Box(ref Utf8JsonReader r, JsonFileReader src, in RecordRef at, string field)
    {
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.StartArray)
            throw Error(src, at, $"field \"{field}\" must be an array [x, y, width, height], found {Found(ref r)}");
        var box = new double[4];
        int n = 0;
        for (src.Read(ref r); r.TokenType != JsonTokenType.EndArray; src.Read(ref r))
        {
            if (r.TokenType != JsonTokenType.Number || !r.TryGetDouble(out double v))
                throw Error(src, at, $"field \"{field}\" must hold numbers, found {Found(ref r)}");
            if (!double.IsFinite(v)) throw Error(src, at, $"field \"{field}\" holds a non-finite value {Found(ref r)}");
            if (n < 4) box[n] = v;
            n++;
        }
        if (n != 4) throw Error(src, at, $"field \"{field}\" must have 4 numbers [x, y, width, height], found {n}");
        if (box[2] < 0 || box[3] < 0)
            throw Error(src, at, $"field \"{field}\" has a negative width or height: [{string.Join(", ", box)}]");
        return box;
    }

    /// <summary>An array of integer ids (LVIS neg_category_ids / not_exhaustive_category_ids).</summary>
    public static long[] IdList(ref Utf8JsonReader r, JsonFileReader src, in RecordRef at, string field)
    {
        src.Read(ref r);
        if (r.TokenType != JsonTokenType.StartArray)
            throw Error(src, at, $"field \"{field}\" must be an array of integer ids, found {Found(ref r)}");
        var ids = new List<long>();
        for (src.Read(ref r); r.TokenType != JsonTokenType.EndArray; src.Read(ref r))
        {
            if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out long v))
                throw Error(src, at, $"field \"{field}\" must hold integer ids, found {Found(ref r)}");
            ids.Add(v);
        }
        return ids.Count == 0 ? [] : ids.ToArray();
    }

    /// <summary>The current token, short, for "found ..." in messages (a container is named, not printed).</summary>
    private static string Found(ref Utf8JsonReader r)
    {
        if (r.TokenType is JsonTokenType.Number or JsonTokenType.String)
        {
            var raw = Encoding.UTF8.GetString(r.HasValueSequence ? r.ValueSequence.ToArray() : r.ValueSpan);
            if (raw.Length > 40) raw = raw[..40] + "...";
            return r.TokenType == JsonTokenType.String ? $"the string \"{raw}\"" : raw;
        }
        return Describe(r.TokenType);
    }

    public static void Missing(JsonFileReader src, in RecordRef at, bool seen, string field)
    {
        if (!seen) throw Error(src, at, $"missing field \"{field}\"");
    }
}
