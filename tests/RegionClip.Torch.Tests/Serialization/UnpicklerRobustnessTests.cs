using RegionClip.Torch.Serialization;
using static RegionClip.Torch.Tests.Serialization.TorchZip;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// Damaged pickle streams (past the zip layer's checks) either load or fail with
/// InvalidDataException naming the file: never another exception, a crash or a leak.
/// </summary>
public class UnpicklerRobustnessTests : TorchTest
{
    private static void LoadsOrFailsCleanly(string path)
    {
        try
        {
            Checkpoint.DisposeTree(torch.load(path));
        }
        catch (InvalidDataException e)
        {
            Assert.Contains($"'{path}'", e.Message);
        }
    }

    [Fact]
    public void RewrittenZipStillLoads()
    {
        // The harness itself: an unmodified copy through System.IO.Compression loads.
        using var dir = Fixtures.TempDir();
        var path = dir.File("copy.pt");
        Write(path, Records(PythonToCSharpTests.Fixture("nested.pt")));
        var loaded = torch.load(path);
        try { PythonView.AssertMatches(PythonView.Read(PythonToCSharpTests.Fixture("nested.json")), loaded); }
        finally { Checkpoint.DisposeTree(loaded); }
    }

    [Fact]
    public void CutPickleStreams()
    {
        using var dir = Fixtures.TempDir();
        var records = Records(PythonToCSharpTests.Fixture("nested.pt"));
        var pkl = Array.FindIndex(records, r => r.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        var data = records[pkl].Data;
        var path = dir.File("cut.pt");
        for (int cut = 0; cut < data.Length; cut += 7)
        {
            var copy = ((string Name, byte[] Data)[])records.Clone();
            copy[pkl] = (copy[pkl].Name, data[..cut]);
            Write(path, copy);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(torch.load(path)));
            Assert.Contains($"'{path}'", e.Message);
        }
    }

    [Fact]
    public void FlippedPickleBytes()
    {
        using var dir = Fixtures.TempDir();
        var records = Records(PythonToCSharpTests.Fixture("nested.pt"));
        var pkl = Array.FindIndex(records, r => r.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        var data = records[pkl].Data;
        var random = new Random(1234);
        var path = dir.File("flipped.pt");
        for (int trial = 0; trial < 300; trial++)
        {
            var damaged = (byte[])data.Clone();
            damaged[random.Next(2, damaged.Length)] = (byte)random.Next(256);
            var copy = ((string Name, byte[] Data)[])records.Clone();
            copy[pkl] = (copy[pkl].Name, damaged);
            Write(path, copy);
            LoadsOrFailsCleanly(path);
        }
    }

    [Fact]
    public void StorageRecordTooShortForItsTensor()
    {
        using var dir = Fixtures.TempDir();
        var records = Records(PythonToCSharpTests.Fixture("state_dict.pt"));
        var i = Array.FindIndex(records, r => r.Name.EndsWith("/data/2", StringComparison.Ordinal));
        records[i] = (records[i].Name, records[i].Data[..^4]);
        var path = dir.File("short.pt");
        Write(path, records);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(torch.load(path)));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("data/2", e.Message);
    }

    [Fact]
    public void MissingStorageRecord()
    {
        using var dir = Fixtures.TempDir();
        var records = Records(PythonToCSharpTests.Fixture("state_dict.pt")).Where(r => !r.Name.EndsWith("/data/3", StringComparison.Ordinal));
        var path = dir.File("missing.pt");
        Write(path, records);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(torch.load(path)));
        Assert.Contains("data/3", e.Message);
    }

    // ---- hostile shapes: each must be refused (or read) without exhausting the native stack ----

    [Fact]
    public void DeeplyNestedTuplesAreRefused()
    {
        using var dir = Fixtures.TempDir();
        var path = WritePickle(dir, "deep.pt", Pickle([(byte)'K', 1], Repeat(1_000_000, 0x85)));  // ((((1,),),),...)
        var e = Assert.Throws<InvalidDataException>(() => torch.load(path));
        Assert.Contains("nest", e.Message);
    }

    [Fact]
    public void ListsNestedTopDownThroughTheMemoAreRefused()
    {
        // n empty lists, memoized, then each appended into the previous one: depth n.
        const int n = 200_000;
        using var dir = Fixtures.TempDir();
        var make = Enumerable.Range(0, n).SelectMany(i => new byte[] { (byte)']' }.Concat(LongBinPut(i)).Append((byte)'0'));
        var link = Enumerable.Range(0, n - 1).SelectMany(i => LongBinGet(i).Concat(LongBinGet(i + 1)).Append((byte)'a').Append((byte)'0'));
        var path = WritePickle(dir, "deep-lists.pt", Pickle(make, link, LongBinGet(0)));
        var e = Assert.Throws<InvalidDataException>(() => torch.load(path));
        Assert.Contains("nest", e.Message);

        // The same chain left in the memo while the result is a plain None: loads, frees safely.
        var garbage = WritePickle(dir, "deep-garbage.pt", Pickle(make, link, [(byte)'N']));
        Assert.Null(torch.load(garbage));
    }

    [Fact]
    public void SelfContainingListIsRefused()
    {
        using var dir = Fixtures.TempDir();
        var path = WritePickle(dir, "cycle.pt", Pickle([(byte)']', (byte)'q', 0, (byte)'h', 0, (byte)'a']));  // l = []; l.append(l)
        var e = Assert.Throws<InvalidDataException>(() => torch.load(path));
        Assert.Contains("cycle", e.Message);
    }

    [Fact]
    public void ExponentialSharingIsRefused()
    {
        // Level k+1 is a list holding level k twice: 2^60 values once expanded.
        using var dir = Fixtures.TempDir();
        var levels = Enumerable.Range(0, 60).SelectMany(k => new byte[] { (byte)'(' }.Concat(LongBinGet(k)).Concat(LongBinGet(k)).Append((byte)'l').Concat(LongBinPut(k + 1)).Append((byte)'0'));
        var path = WritePickle(dir, "bomb.pt", Pickle([(byte)']'], LongBinPut(0), [(byte)'0'], levels, LongBinGet(60)));
        var e = Assert.Throws<InvalidDataException>(() => torch.load(path));
        Assert.Contains("values", e.Message);
    }

    [Fact]
    public void DeeplyNestedArgumentTuplesAreRefused()
    {
        using var dir = Fixtures.TempDir();
        var global = "ccollections\nOrderedDict\n"u8.ToArray();
        var path = WritePickle(dir, "deep-args.pt", Pickle(global, Repeat(1_000_000, 0x85)));
        var e = Assert.Throws<InvalidDataException>(() => torch.load(path));
        Assert.Contains("nest", e.Message);
    }
}

