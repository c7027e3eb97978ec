using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RegionClip.Torch;

namespace RegionClip.Checkpoints;

/// <summary>
/// NumPy's .npy format (version 1–3): a magic string, a header that is a Python dict literal
/// (<c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (1203, 1024), }</c>), then the raw array.
/// Detic, VLPart and YOLO-World ship their classifiers this way. Only numeric float arrays in C order
/// are read; the header is parsed as data, so an object array (a pickle) is refused, never loaded.
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>True when the file starts with .npy's magic string.</summary>
    public static bool IsNpy(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[6];
        return f.ReadAtLeast(head, 6, throwOnEndOfStream: false) == 6 && head.SequenceEqual(Magic);
    }

    /// <summary>Reads a float16/32/64 array as a float32 tensor of its shape (the caller owns it).</summary>
    public static Tensor Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var (descr, fortran, shape, dataStart) = ReadHeader(bytes, path);
        if (fortran)
            throw new InvalidDataException($"'{path}': the array is stored in Fortran order; save it in C order (np.save(f, np.ascontiguousarray(a)))");
        var (size, bigEndian) = ParseDescr(descr, path);
        long count = 1;
        foreach (var d in shape)
            if (d < 0 || (count = checked(count * d)) > int.MaxValue)
                throw new InvalidDataException($"'{path}': shape ({string.Join(", ", shape)}) is too large or negative");
        long needed = count * size;
        if (bytes.LongLength - dataStart < needed)
            throw new InvalidDataException($"'{path}': the header declares shape ({string.Join(", ", shape)}) of {descr}, {needed} bytes, but the file holds {bytes.LongLength - dataStart} after the header (truncated?)");
        var values = new float[count];
        var data = bytes.AsSpan(dataStart, (int)needed);
        for (int i = 0; i < values.Length; i++)
        {
            var cell = data.Slice(i * size, size);
            values[i] = size switch
            {
                2 => (float)(bigEndian ? BinaryPrimitives.ReadHalfBigEndian(cell) : BinaryPrimitives.ReadHalfLittleEndian(cell)),
                4 => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(cell) : BinaryPrimitives.ReadSingleLittleEndian(cell),
                _ => (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(cell) : BinaryPrimitives.ReadDoubleLittleEndian(cell)),
            };
        }
        return torch.tensor(values, shape);
    }

    private static (string Descr, bool Fortran, long[] Shape, int DataStart) ReadHeader(byte[] bytes, string path)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not a NumPy .npy file (no \\x93NUMPY magic)");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1)
            (headerLength, headerStart) = (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)), 10);
        else if (major is 2 or 3 && bytes.Length >= 12)
            (headerLength, headerStart) = ((int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), int.MaxValue), 12);
        else
            throw new InvalidDataException($"'{path}': .npy format version {major} is not supported (1–3 are)");
        if (headerLength > bytes.Length - headerStart)
            throw new InvalidDataException($"'{path}': the .npy header runs past the end of the file (truncated?)");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, headerStart, headerLength);

        var descr = HeaderField(header, DescrPattern(), "descr", path);
        var fortran = HeaderField(header, FortranPattern(), "fortran_order", path) == "True";
        var shapeText = HeaderField(header, ShapePattern(), "shape", path);
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                : throw new InvalidDataException($"'{path}': the .npy header's shape ({shapeText}) is not a tuple of integers"))
            .ToArray();
        return (descr, fortran, shape, headerStart + headerLength);
    }

    private static string HeaderField(string header, Regex pattern, string name, string path)
    {
        var m = pattern.Match(header);
        if (!m.Success)
            throw new InvalidDataException($"'{path}': the .npy header has no readable '{name}' ({header.Trim()})");
        return m.Groups[1].Value;
    }

    private static (int Size, bool BigEndian) ParseDescr(string descr, string path)
    {
        if (descr.Contains('O'))
            throw new InvalidDataException($"'{path}' holds a NumPy object array (pickled Python objects), which is never loaded; save a float array instead");
        if (descr.Length == 3 && descr[0] is '<' or '>' or '=' or '|' && descr[1] == 'f' && descr[2] is '2' or '4' or '8')
            return (descr[2] - '0', descr[0] == '>');
        throw new InvalidDataException($"'{path}': element type '{descr}' is not a float16/32/64 array (concept embeddings are floats)");
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
