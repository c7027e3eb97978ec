using System.Collections;
using System.Text.Json;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// Compares a value loaded in C# with the JSON description of what Python's torch.load saw
/// (tools/fixtures/describe_checkpoint.py), and two C# values with each other. Exact: keys and
/// their order, element types, shapes, strides and every value bit for bit.
/// </summary>
internal static class PythonView
{
    public static JsonElement Read(string jsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        return doc.RootElement.Clone();
    }

    public static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    /// <param name="halfToFloat">The C# side converted float16/bfloat16 tensors to float32.</param>
    /// <param name="checkStrides">Also require the same strides (views rebuilt as views).</param>
    public static void AssertMatches(JsonElement expected, object? actual, bool halfToFloat = false, bool checkStrides = true) =>
        Match(expected, actual, "$", halfToFloat, checkStrides);

    /// <summary>The "tensor" description at a dict path, e.g. ("tensors", "slice").</summary>
    public static JsonElement At(JsonElement root, params string[] keys)
    {
        var e = root;
        foreach (var key in keys)
        {
            var found = false;
            foreach (var pair in e.GetProperty("dict").EnumerateArray())
            {
                if (pair[0].ValueKind == JsonValueKind.String && pair[0].GetString() == key)
                {
                    e = pair[1];
                    found = true;
                    break;
                }
            }
            Assert.True(found, $"no key '{key}' in the description");
        }
        return e;
    }

    private static void Match(JsonElement e, object? actual, string at, bool halfToFloat, bool checkStrides)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null:
                Assert.True(actual is null, $"{at}: expected None, got {Show(actual)}");
                return;
            case JsonValueKind.True or JsonValueKind.False:
                Assert.True(actual is bool b && b == e.GetBoolean(), $"{at}: expected {e.GetBoolean()}, got {Show(actual)}");
                return;
            case JsonValueKind.String:
                Assert.True(actual is string s && s == e.GetString(), $"{at}: expected '{e.GetString()}', got {Show(actual)}");
                return;
        }
        var (tag, body) = Tagged(e, at);
        switch (tag)
        {
            case "int":
                Assert.True(actual is long l && l == body.GetInt64(), $"{at}: expected int {body.GetInt64()}, got {Show(actual)}");
                break;
            case "float":
                var d = Float(body);
                Assert.True(actual is double x && x.Equals(d), $"{at}: expected float {d:R}, got {Show(actual)}");
                break;
            case "list":
                var list = Assert.IsType<List<object?>>(actual);
                MatchItems(body, list, at, halfToFloat, checkStrides);
                break;
            case "tuple":
                var tuple = Assert.IsType<object?[]>(actual);
                MatchItems(body, tuple, at, halfToFloat, checkStrides);
                break;
            case "dict":
                MatchDict(body, actual, at, halfToFloat, checkStrides);
                break;
            case "tensor":
                MatchTensor(body, actual, at, halfToFloat, checkStrides);
                break;
            default:
                Assert.Fail($"{at}: unknown description tag '{tag}'");
                break;
        }
    }

    private static (string, JsonElement) Tagged(JsonElement e, string at)
    {
        Assert.True(e.ValueKind == JsonValueKind.Object, $"{at}: malformed description {e}");
        var p = e.EnumerateObject().Single();
        return (p.Name, p.Value);
    }

    private static double Float(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            "nan" => double.NaN,
            var s => throw new FormatException(s),
        }
        : e.GetDouble();

    private static void MatchItems(JsonElement body, IList<object?> actual, string at, bool halfToFloat, bool checkStrides)
    {
        Assert.True(body.GetArrayLength() == actual.Count, $"{at}: expected {body.GetArrayLength()} items, got {actual.Count}");
        for (int i = 0; i < actual.Count; i++) Match(body[i], actual[i], $"{at}[{i}]", halfToFloat, checkStrides);
    }

    private static void MatchDict(JsonElement body, object? actual, string at, bool halfToFloat, bool checkStrides)
    {
        var pairs = body.EnumerateArray().ToArray();
        Assert.True(actual is IDictionary, $"{at}: expected a dict, got {Show(actual)}");
        var dict = (IDictionary)actual!;
        Assert.True(pairs.Length == dict.Count, $"{at}: expected {pairs.Length} keys, got {dict.Count}");
        var keys = dict.Keys.Cast<object>().ToArray();
        for (int i = 0; i < pairs.Length; i++)
        {
            // Keys in the same order, as state_dict() and OrderedDict keep them.
            Match(pairs[i][0], keys[i], $"{at}.keys[{i}]", halfToFloat, checkStrides);
            Match(pairs[i][1], dict[keys[i]], $"{at}[{Show(keys[i])}]", halfToFloat, checkStrides);
        }
    }

    private static void MatchTensor(JsonElement body, object? actual, string at, bool halfToFloat, bool checkStrides)
    {
        Assert.True(actual is Tensor, $"{at}: expected a tensor, got {Show(actual)}");
        var t = (Tensor)actual!;
        var dtype = body.GetProperty("dtype").GetString();
        if (halfToFloat && dtype is "float16" or "bfloat16") dtype = "float32";
        Assert.True(dtype == t.dtype.Name(), $"{at}: expected dtype {dtype}, got {t.dtype.Name()}");
        var shape = body.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        Assert.True(shape.SequenceEqual(t.shape), $"{at}: expected shape [{string.Join(", ", shape)}], got [{string.Join(", ", t.shape)}]");
        if (checkStrides)
        {
            var stride = body.GetProperty("stride").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            Assert.True(stride.SequenceEqual(t.stride()), $"{at}: expected stride [{string.Join(", ", stride)}], got [{string.Join(", ", t.stride())}]");
        }
        Assert.True(body.GetProperty("requires_grad").GetBoolean() == t.requires_grad, $"{at}: requires_grad differs");
        var values = body.GetProperty("values").EnumerateArray().ToArray();
        switch (t.dtype)
        {
            case ScalarType.Bool:
                Assert.Equal(values.Select(v => v.GetBoolean()).ToArray(), t.data<bool>());
                break;
            case var f when f.IsFloatingPoint():
                using (var d = t.to(ScalarType.Float64))
                {
                    var got = d.data<double>();
                    var want = values.Select(Float).ToArray();
                    Assert.True(want.Length == got.Length, $"{at}: {want.Length} values expected, got {got.Length}");
                    for (int i = 0; i < got.Length; i++)
                        Assert.True(want[i].Equals(got[i]), $"{at}: element {i} is {got[i]:R}, Python saw {want[i]:R}");
                }
                break;
            default:
                using (var l = t.to(ScalarType.Int64))
                    Assert.Equal(values.Select(v => v.GetInt64()).ToArray(), l.data<long>());
                break;
        }
    }

    /// <summary>Deep equality of two C# values as torch.load returns them.</summary>
    public static void AssertSameValue(object? expected, object? actual, string at = "$")
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{at}: expected None, got {Show(actual)}");
                break;
            case Tensor e:
                Assert.True(actual is Tensor, $"{at}: expected a tensor, got {Show(actual)}");
                var a = (Tensor)actual!;
                Assert.True(e.dtype == a.dtype, $"{at}: dtype {a.dtype.Name()}, expected {e.dtype.Name()}");
                Assert.True(e.shape.SequenceEqual(a.shape), $"{at}: shape [{string.Join(", ", a.shape)}], expected [{string.Join(", ", e.shape)}]");
                Assert.True(e.requires_grad == a.requires_grad, $"{at}: requires_grad differs");
                using (var ed = e.detach())
                using (var ad = a.detach())
                    Assert.True(ed.equal(ad), $"{at}: values differ");
                break;
            case double d:
                Assert.True(actual is double x && x.Equals(d), $"{at}: {Show(actual)}, expected {d:R}");
                break;
            case IDictionary ed:
                Assert.True(actual is IDictionary, $"{at}: expected a dict, got {Show(actual)}");
                var ad2 = (IDictionary)actual!;
                Assert.True(ed.GetType() == ad2.GetType(), $"{at}: {ad2.GetType().Name}, expected {ed.GetType().Name}");
                var ek = ed.Keys.Cast<object>().ToArray();
                var ak = ad2.Keys.Cast<object>().ToArray();
                Assert.Equal(ek, ak);
                foreach (var k in ek) AssertSameValue(ed[k], ad2[k], $"{at}[{Show(k)}]");
                break;
            case object?[] et:
                var at2 = Assert.IsType<object?[]>(actual);
                Assert.True(et.Length == at2.Length, $"{at}: {at2.Length} items, expected {et.Length}");
                for (int i = 0; i < et.Length; i++) AssertSameValue(et[i], at2[i], $"{at}[{i}]");
                break;
            case List<object?> el:
                var al = Assert.IsType<List<object?>>(actual);
                Assert.True(el.Count == al.Count, $"{at}: {al.Count} items, expected {el.Count}");
                for (int i = 0; i < el.Count; i++) AssertSameValue(el[i], al[i], $"{at}[{i}]");
                break;
            default:
                Assert.True(expected.Equals(actual), $"{at}: {Show(actual)}, expected {Show(expected)}");
                break;
        }
    }

    public static string Show(object? v) => v switch
    {
        null => "None",
        string s => $"'{s}'",
        Tensor t => t.ToString(),
        double d => d.ToString("R"),
        _ => $"{v} ({v.GetType().Name})",
    };
}
