using System.IO.Compression;
using RegionClip.Torch.Serialization;
using static RegionClip.Torch.Tests.Serialization.TorchZip;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// Small files crafted to exhaust the loader (issue 13, items 7, 9 and 10, found by fuzzing):
/// each is refused with one message naming the file, before it takes the memory or time it asks
/// for, and a good checkpoint loads normally right after.
/// </summary>
public class HostileCheckpointTests : TorchTest
{
    private static InvalidDataException Refused(string path, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(torch.load(path)));
        Assert.StartsWith($"cannot load '{path}': ", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain("\n", e.Message);
        GoodFileStillLoads();
        return e;
    }

    private static void GoodFileStillLoads()
    {
        var state = Checkpoint.LoadStateDict(PythonToCSharpTests.Fixture("state_dict.pt"));
        Assert.NotEmpty(state);
        Checkpoint.DisposeTree(state);
    }

    // ---- item 7: depth through the memo ----

    /// <summary>
    /// (T0, T1, ..., Tn): T0 a tuple nested <paramref name="inner"/> deep, each next one T(k-1)
    /// wrapped <paramref name="inner"/> times more through the memo. Checked in that order, every
    /// Tk first meets T(k-1) already measured, at a depth the old check never compared.
    /// </summary>
    private static byte[] SharedNesting(int inner, int rounds)
    {
        var first = new[] { (byte)'K', (byte)1 }.Concat(Repeat(inner, 0x85)).Concat(LongBinPut(0)).Append((byte)'0');
        var more = Enumerable.Range(1, rounds).SelectMany(r => LongBinGet(r - 1).Concat(Repeat(inner, 0x85)).Concat(LongBinPut(r)).Append((byte)'0'));
        var all = new[] { (byte)'(' }.Concat(Enumerable.Range(0, rounds + 1).SelectMany(LongBinGet)).Append((byte)'t');
        return Pickle(first, more, all);
    }

    [Fact]
    public void NestingSharedThroughTheMemoIsBoundedLikeAnyOther()
    {
        // 400 rounds of 99: 39,700 levels in 46 KB. Loaded, freeing it overflowed the native stack.
        using var dir = Fixtures.TempDir();
        var path = WritePickle(dir, "shared-deep.pt", SharedNesting(99, 400));
        Assert.InRange(new FileInfo(path).Length, 1, 64 << 10);
        Refused(path, "nest more than 100 levels");

        // The limit counts whole paths: 50 tuples wrapped in 50 more load, 51 in 51 do not.
        var fine = WritePickle(dir, "shared-100.pt", SharedNesting(50, 1));
        object? value = ((object?[])torch.load(fine)!)[1];
        int depth = 0;
        while (value is object?[] { Length: 1 } t) { value = t[0]; depth++; }
        Assert.Equal(100, depth);
        Assert.Equal(1L, value);
        Refused(WritePickle(dir, "shared-102.pt", SharedNesting(51, 1)), "nest");
    }

    // ---- item 9: bombs ----

    [Fact]
    public void DeflateBombPickleIsRefusedEarly()
    {
        // 50 MB of EMPTY_LIST, POP in a 50 KB zip: 25 million lists, refused after the first few.
        using var dir = Fixtures.TempDir();
        var path = dir.File("bomb.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.Optimal).Open())
            {
                s.Write([0x80, 0x02]);
                var chunk = Repeat(1 << 19, (byte)']', (byte)'0').ToArray();
                for (int i = 0; i < 50; i++) s.Write(chunk);
                s.Write("N."u8);
            }
            using (var v = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open()) v.Write("3\n"u8);
        }
        Assert.InRange(new FileInfo(path).Length, 1, 1 << 20);
        Refused(path, "more values than any real checkpoint holds");
    }

    [Fact]
    public void PickleUnpackingPastTheLimitIsRefusedBeforeItIsInflated()
    {
        // 257 MB of zeros, honestly deflated: data.pkl may unpack to 256 MB at most.
        using var dir = Fixtures.TempDir();
        var path = dir.File("big-pickle.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.Fastest).Open())
            {
                var zeros = new byte[1 << 20];
                for (int i = 0; i < 257; i++) s.Write(zeros);
            }
            using (var v = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open()) v.Write("3\n"u8);
        }
        var e = Refused(path, "archive/data.pkl unpacks to 269484032 bytes");
        Assert.Contains("decompression bomb", e.Message);
    }

    [Fact]
    public void CompressedStorageClaimingMoreThanItsBytesCanHoldIsRefused()
    {
        // A 16-byte storage, deflated, whose headers claim 4 GB: refused before 4 GB is allocated.
        using var dir = Fixtures.TempDir();
        var path = dir.File("lying-size.pt");
        Write(path, [("archive/data.pkl", Pickle(Tensor("0", 4, [4], [1]))), ("archive/version", "3\n"u8.ToArray()), ("archive/data/0", new byte[16])],
              deflate: name => name.EndsWith("/0", StringComparison.Ordinal));
        DeclareSize(path, "archive/data/0", 0xFFFF_FFF0);
        Refused(path, "more than deflate can produce");
    }

    // ---- item 10: the zip layer, views and sizes ----

    [Theory]
    [InlineData("no-version", "it has no version record")]
    [InlineData("no-folder", "is not in a folder")]
    [InlineData("bad-version", "version record does not hold a number")]
    [InlineData("future-version", "format version 99 is not one this libtorch reads")]
    [InlineData("version-as-folder", "record archive/version is marked as a folder")]  // found by the fuzzer
    public void ZipsThatLibtorchsReaderWouldLeakOnAreRefusedFirst(string kind, string reason)
    {
        // PyTorchStreamReader leaked its zip state whenever its constructor threw: these are
        // refused before it is constructed (LeakSanitizer watches this in the fuzzer).
        using var dir = Fixtures.TempDir();
        var path = dir.File(kind + ".pt");
        var pkl = Pickle([(byte)'N']);
        (string, byte[])[] records = kind switch
        {
            "no-version" => [("archive/data.pkl", pkl)],
            "no-folder" => [("data.pkl", pkl), ("version", "3\n"u8.ToArray())],
            "bad-version" => [("archive/data.pkl", pkl), ("archive/version", "three"u8.ToArray())],
            "future-version" => [("archive/data.pkl", pkl), ("archive/version", "99\n"u8.ToArray())],
            _ => [("archive/data.pkl", pkl), ("archive/version", "3\n"u8.ToArray())],
        };
        Write(path, records);
        if (kind == "version-as-folder") MarkAsFolder(path, "archive/version");
        for (int i = 0; i < 50; i++)
            Assert.Contains(reason, Assert.Throws<InvalidDataException>(() => torch.load(path)).Message);
        Refused(path, reason);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Identify(path));
    }

    private static void MarkAsFolder(string path, string record)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        zip.GetEntry(record)!.ExternalAttributes = 0x10;  // the DOS directory attribute
    }

    [Fact]
    public void StorageRecordMarkedAsAFolderIsRefused()
    {
        // miniz "reads" a folder by leaving the buffer as malloc gave it: heap bytes as weights.
        using var dir = Fixtures.TempDir();
        var path = WritePickle(dir, "folder-storage.pt", Pickle(Tensor("0", 4, [4], [1])), ("0", new byte[16]));
        MarkAsFolder(path, "archive/data/0");
        Refused(path, "record archive/data/0 is marked as a folder");
    }

    [Fact]
    public void StrideZeroViewOfTerabytesIsRefused()
    {
        // [2^20, 2^20] over 4 floats with stride 0: 4 TB on its first copy.
        using var dir = Fixtures.TempDir();
        var path = WritePickle(dir, "stride0.pt", Pickle(Tensor("0", 4, [1L << 20, 1L << 20], [0, 0])), ("0", new byte[16]));
        Refused(path, "far more than its storages hold (16 bytes)");
    }

    [Fact]
    public void SmallBroadcastViewsStillLoad()
    {
        // expand()ed buffers are real: [1000, 4] over 4 floats (16 KB dense) loads as saved.
        using var dir = Fixtures.TempDir();
        var row = new byte[16];
        BitConverter.TryWriteBytes(row.AsSpan(4), 2.5f);
        var path = WritePickle(dir, "broadcast.pt", Pickle(Tensor("0", 4, [1000, 4], [0, 1])), ("0", row));
        using var scope = torch.NewDisposeScope();
        var t = (Tensor)torch.load(path)!;
        Assert.Equal([1000L, 4], t.shape);
        Assert.Equal(2.5f, t[999, 1].item<float>());
    }

    [Fact]
    public void OneTensorReachedThousandsOfTimesIsRefused()
    {
        // A 256 KB tensor in a list 2,000 times through the memo: 512 MB once copied (say, to float32).
        using var dir = Fixtures.TempDir();
        const int n = 1 << 16;
        var pickle = Pickle([(byte)']'], Tensor("0", n, [n], [1]), LongBinPut(0), [(byte)'a'],
                            [(byte)'('], Repeat(2000, [.. LongBinGet(0)]), [(byte)'e']);
        var path = WritePickle(dir, "shared-tensor.pt", pickle, ("0", new byte[n * 4]));
        Refused(path, "one tensor reached many times");
    }

    [Fact]
    public void StorageSizeThatOverflowsIsRefused()
    {
        // 2^61 doubles: numel * 8 wrapped to 0 and the size check passed by luck.
        using var dir = Fixtures.TempDir();
        var path = WritePickle(dir, "overflow.pt", Pickle(Tensor("0", 1L << 61, [0], [1], "DoubleStorage")), ("0", new byte[8]));
        Refused(path, "overflows");
    }
}
