using System.IO.Compression;
using System.Text;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// Hand-made checkpoints: torch.save-style zips (archive/data.pkl, archive/version, archive/data/N)
/// written from code, and the pickle opcodes to fill them with.
/// </summary>
internal static class TorchZip
{
    /// <summary>The records of an existing zip, in order.</summary>
    public static (string Name, byte[] Data)[] Records(string checkpoint)
    {
        using var zip = ZipFile.OpenRead(checkpoint);
        return zip.Entries.Select(e =>
        {
            using var s = e.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return (e.FullName, m.ToArray());
        }).ToArray();
    }

    /// <summary>Writes the records stored, or deflated where <paramref name="deflate"/> says so.</summary>
    public static void Write(string path, IEnumerable<(string Name, byte[] Data)> records, Func<string, bool>? deflate = null)
    {
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, data) in records)
        {
            var level = deflate?.Invoke(name) == true ? CompressionLevel.Fastest : CompressionLevel.NoCompression;
            using var s = zip.CreateEntry(name, level).Open();
            s.Write(data);
        }
    }

    /// <summary>A torch.save-style archive holding <paramref name="pickle"/> and the given storages.</summary>
    public static string WritePickle(TempDir dir, string name, byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        var path = dir.File(name);
        Write(path, [("archive/data.pkl", pickle), ("archive/version", "3\n"u8.ToArray()), .. storages.Select(s => ("archive/data/" + s.Key, s.Data))]);
        return path;
    }

    /// <summary>Sets the declared (uncompressed) size of a record in both its headers, leaving its bytes.</summary>
    public static void DeclareSize(string path, string record, uint size)
    {
        var bytes = File.ReadAllBytes(path);
        var name = Encoding.UTF8.GetBytes(record);
        int patched = 0;
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            uint sig = BitConverter.ToUInt32(bytes, i);
            int nameAt = sig == 0x04034b50 ? i + 30 : sig == 0x02014b50 ? i + 46 : -1;
            int sizeAt = sig == 0x04034b50 ? i + 22 : i + 24;
            if (nameAt < 0 || nameAt + name.Length > bytes.Length || !bytes.AsSpan(nameAt, name.Length).SequenceEqual(name)) continue;
            BitConverter.TryWriteBytes(bytes.AsSpan(sizeAt, 4), size);
            patched++;
        }
        if (patched != 2) throw new InvalidOperationException($"{record}: found {patched} headers, not 2");
        File.WriteAllBytes(path, bytes);
    }

    // ---- pickle opcodes ----

    public static byte[] Pickle(params IEnumerable<byte>[] parts) => [0x80, 0x02, .. parts.SelectMany(p => p), (byte)'.'];
    public static IEnumerable<byte> Repeat(int n, params byte[] bytes) => Enumerable.Repeat(bytes, n).SelectMany(b => b);
    public static IEnumerable<byte> LongBinPut(int i) => [(byte)'r', .. BitConverter.GetBytes(i)];
    public static IEnumerable<byte> LongBinGet(int i) => [(byte)'j', .. BitConverter.GetBytes(i)];
    public static IEnumerable<byte> Global(string module, string name) => Encoding.ASCII.GetBytes($"c{module}\n{name}\n");
    public static IEnumerable<byte> Unicode(string s) => [(byte)'X', .. BitConverter.GetBytes(Encoding.UTF8.GetByteCount(s)), .. Encoding.UTF8.GetBytes(s)];
    public static IEnumerable<byte> Int(long v) => [0x8a, 8, .. BitConverter.GetBytes(v)];  // LONG1, 8 bytes
    public static IEnumerable<byte> IntTuple(params long[] values) => [(byte)'(', .. values.SelectMany(Int), (byte)'t'];
    public static readonly byte[] EmptyTuple = [(byte)')'];
    public static readonly byte[] Tuple1 = [0x85];

    /// <summary>
    /// _rebuild_tensor_v2(storage(key, numel), offset, sizes, strides, False, OrderedDict()) as
    /// torch.save writes it; <paramref name="dtype"/> is a storage class (FloatStorage, ...).
    /// </summary>
    public static IEnumerable<byte> Tensor(string key, long numel, long[] sizes, long[] strides, string dtype = "FloatStorage", long offset = 0) =>
    [
        .. Global("torch._utils", "_rebuild_tensor_v2"), (byte)'(',
        (byte)'(', .. Unicode("storage"), .. Global("torch", dtype), .. Unicode(key), .. Unicode("cpu"), .. Int(numel), (byte)'t', (byte)'Q',
        .. Int(offset), .. IntTuple(sizes), .. IntTuple(strides), 0x89,
        .. Global("collections", "OrderedDict"), .. EmptyTuple, (byte)'R',
        (byte)'t', (byte)'R',
    ];
}
