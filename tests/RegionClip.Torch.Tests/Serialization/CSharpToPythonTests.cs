using System.Diagnostics;
using RegionClip.Torch.Serialization;
using Xunit.Abstractions;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// Files written by C# load in Python identically. Committed evidence: written_by_csharp.pt (made
/// by <see cref="CSharpWritesTheKnownCheckpoint"/> when the generator asks) and what Python's
/// torch.load saw in it (csharp_written_seen_by_python.json, and re-saved as .pt). Live evidence
/// when Debian's python3 with torch is installed.
/// </summary>
public class CSharpToPythonTests(ITestOutputHelper output) : TorchTest
{
    private const string SystemPython = "/usr/bin/python3";

    private static string Fixture(string name) => PythonToCSharpTests.Fixture(name);

    /// <summary>
    /// The known content: every value kind, every dtype, views sharing a storage, integer-keyed
    /// dicts. Deterministic (no RNG), so the committed description stays valid.
    /// </summary>
    internal static OrderedDictionary<string, object?> Build()
    {
        using var scope = torch.NewDisposeScope();  // frees the intermediates; the tree's tensors are kept
        var weight = (torch.arange(12, ScalarType.Float32) * 0.5 - 1).reshape(3, 4);
        var value = new OrderedDictionary<string, object?>
        {
            ["weight"] = weight,
            ["weight_t"] = weight.t(),                                   // non-contiguous view
            ["row"] = weight.select(0, 1),                               // view with an offset
            ["float16"] = torch.tensor(new[] { (Half)0.5, (Half)(-2), (Half)1024, (Half)0.1 }, 4),
            ["bfloat16"] = ToType(torch.tensor(new[] { 1f, -0.75f, 3e30f }, 3), ScalarType.BFloat16),
            ["float64"] = torch.tensor(new[] { Math.PI, -1e-300, 1e300 }, 3),
            ["int64"] = torch.tensor(new[] { long.MinValue, -1L, 0L, 1L << 40, long.MaxValue }, 5),
            ["int32"] = torch.tensor(new[] { int.MinValue, 0, int.MaxValue }, 3),
            ["int16"] = torch.tensor(new short[] { -300, 300 }, 2),
            ["int8"] = torch.tensor(new sbyte[] { -128, 127 }, 2),
            ["uint8"] = torch.tensor(new byte[] { 0, 200, 255 }, 3),
            ["bool"] = torch.tensor(new[] { true, false, true, false }, 2, 2),
            ["scalar"] = torch.scalar_tensor(2.5, ScalarType.Float32),
            ["empty"] = torch.zeros(0, 2),
            ["numbers"] = new List<object?> { 1L, -7L, long.MaxValue, 0.25, -1e300, true, false, null, "text ✓", "" },
            ["tuple"] = new object?[] { 1L, "a", torch.ones(2) },
            ["csharp_tuple"] = (3L, "b"),
            ["int_keys"] = new OrderedDictionary<long, object?> { [3] = "three", [-1] = torch.full([2], 7, ScalarType.Int64) },
            ["nested"] = new OrderedDictionary<string, object?>
            {
                ["list_of_dicts"] = new List<object?> { new OrderedDictionary<string, object?> { ["a"] = 1L }, new OrderedDictionary<string, object?>() },
                ["empty_list"] = new List<object?>(),
                ["empty_tuple"] = Array.Empty<object?>(),
            },
        };
        Keep(value);
        return value;

        static Tensor ToType(Tensor t, ScalarType type) => t.to(type);
    }

    private static void Keep(object? tree)
    {
        foreach (var t in Checkpoint.TensorsIn(tree)) t.DetachFromDisposeScope();
    }

    /// <summary>What <see cref="Build"/> reads back as: C# tuples become object?[].</summary>
    private static OrderedDictionary<string, object?> BuildAsLoaded()
    {
        var value = Build();
        value["csharp_tuple"] = new object?[] { 3L, "b" };
        return value;
    }

    [Fact]
    public void CSharpWritesTheKnownCheckpoint()
    {
        // tools/fixtures/gen_checkpoints.py sets this to write the committed fixture.
        var target = Environment.GetEnvironmentVariable("RC_WRITE_CSHARP_CHECKPOINT");
        using var dir = Fixtures.TempDir();
        var path = string.IsNullOrEmpty(target) ? dir.File("written_by_csharp.pt") : target;
        var value = Build();
        var expected = BuildAsLoaded();
        try
        {
            torch.save(value, path);
            var loaded = torch.load(path);
            try { PythonView.AssertSameValue(expected, loaded); }
            finally { Checkpoint.DisposeTree(loaded); }
        }
        finally
        {
            Checkpoint.DisposeTree(value);
            Checkpoint.DisposeTree(expected);
        }
    }

    [Fact]
    public void CommittedCSharpFileHoldsTheKnownContent()
    {
        var loaded = torch.load(Fixture("written_by_csharp.pt"));
        var expected = BuildAsLoaded();
        try { PythonView.AssertSameValue(expected, loaded); }
        finally
        {
            Checkpoint.DisposeTree(loaded);
            Checkpoint.DisposeTree(expected);
        }
    }

    [Fact]
    public void PythonSawWhatCSharpWrote()
    {
        var seen = PythonView.Read(Fixture("csharp_written_seen_by_python.json"));
        var expected = BuildAsLoaded();
        try
        {
            PythonView.AssertMatches(seen, expected);
            AssertViewsSharedStorageInPython(seen);
        }
        finally
        {
            Checkpoint.DisposeTree(expected);
        }
    }

    [Fact]
    public void PythonResavedWhatCSharpWroteUnchanged()
    {
        // Python loaded written_by_csharp.pt and saved it again: C# reads back the same content.
        var resaved = torch.load(Fixture("csharp_written_seen_by_python.pt"));
        var expected = BuildAsLoaded();
        try { PythonView.AssertSameValue(expected, resaved); }
        finally
        {
            Checkpoint.DisposeTree(resaved);
            Checkpoint.DisposeTree(expected);
        }
    }

    [Fact]
    public void PythonReadsAFreshCSharpFileLive()
    {
        if (!PythonWithTorchAvailable())
        {
            output.WriteLine($"SKIPPED live check: '{SystemPython} -c \"import torch\"' does not work here; the committed fixtures still cover C# -> Python.");
            return;
        }
        using var dir = Fixtures.TempDir();
        var path = dir.File("fresh.pt");
        var value = Build();
        var expected = BuildAsLoaded();
        try
        {
            torch.save(value, path);
            var json = RunPython(DescribeScript(), path);
            var seen = PythonView.Parse(json);
            PythonView.AssertMatches(seen, expected);
            AssertViewsSharedStorageInPython(seen);
            output.WriteLine($"Python's torch.load read the fresh C# file identically ({json.Length} bytes of description).");
        }
        finally
        {
            Checkpoint.DisposeTree(value);
            Checkpoint.DisposeTree(expected);
        }
    }

    private static void AssertViewsSharedStorageInPython(System.Text.Json.JsonElement seen)
    {
        int Storage(string key) => PythonView.At(seen, key).GetProperty("tensor").GetProperty("storage").GetInt32();
        int Offset(string key) => PythonView.At(seen, key).GetProperty("tensor").GetProperty("offset").GetInt32();
        Assert.Equal(Storage("weight"), Storage("weight_t"));
        Assert.Equal(Storage("weight"), Storage("row"));
        Assert.NotEqual(Storage("weight"), Storage("float16"));
        Assert.Equal(4, Offset("row"));
    }

    private static string DescribeScript()
    {
        var json = Fixture("state_dict.json");
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(json)!, "..", "..", "..", ".."));
        return Path.Combine(root, "tools", "fixtures", "describe_checkpoint.py");
    }

    private static bool PythonWithTorchAvailable()
    {
        if (!File.Exists(SystemPython)) return false;
        try
        {
            using var p = Process.Start(new ProcessStartInfo(SystemPython, ["-c", "import torch"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            return p.WaitForExit(120_000) && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string RunPython(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(SystemPython, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "python timed out");
        Assert.True(p.ExitCode == 0, $"python failed: {stderr.Result}");
        return stdout;
    }
}
