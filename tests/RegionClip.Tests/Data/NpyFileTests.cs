using System.Text;
using RegionClip.Checkpoints;
using RegionClip.Torch;

namespace RegionClip.Tests.Data;

/// <summary>Writes .npy files the way numpy.save does (version 1.0, C order), for tests.</summary>
internal static class NpyWriter
{
    internal static void WriteFloat32(string path, Tensor t)
    {
        using var f = t.to(ScalarType.Float32);
        Write(path, "<f4", t.shape, f.data<float>().SelectMany(BitConverter.GetBytes).ToArray());
    }

    internal static void Write(string path, string descr, long[] shape, byte[] data, bool fortran = false, int version = 1)
    {
        var dims = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        var header = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {dims}, }}";
        int prefix = version == 1 ? 10 : 12;
        var padded = header.PadRight((prefix + header.Length + 1 + 63) / 64 * 64 - prefix - 1) + "\n";   // numpy aligns to 64
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        if (version == 1) f.Write(BitConverter.GetBytes((ushort)padded.Length));
        else f.Write(BitConverter.GetBytes((uint)padded.Length));
        f.Write(Encoding.Latin1.GetBytes(padded));
        f.Write(data);
    }
}

public sealed class NpyFileTests : TorchTest
{
    [Fact]
    public void Float16And32ArraysLoadAsFloat32InCOrder()
    {
        using var dir = Paths.TempDir();
        float[] values = [1.5f, -2f, 0.25f, 3f, 65504f, -0.125f];
        NpyWriter.Write(dir.File("h.npy"), "<f2", [2, 3], values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray());
        NpyWriter.Write(dir.File("f.npy"), "<f4", [2, 3], values.SelectMany(BitConverter.GetBytes).ToArray(), version: 2);
        NpyWriter.Write(dir.File("d.npy"), ">f8", [2, 3], values.SelectMany(v => BitConverter.GetBytes((double)v).Reverse()).ToArray());
        foreach (var name in new[] { "h.npy", "f.npy", "d.npy" })
        {
            using var t = ConceptEmbeddingFile.Load(dir.File(name));
            Assert.Equal([2L, 3L], t.shape);
            Assert.Equal(ScalarType.Float32, t.dtype);
            Assert.Equal(values, t.data<float>());
        }
    }

    [Theory]
    [InlineData("|O", false, "object array")]
    [InlineData("<f4", true, "Fortran order")]
    [InlineData("<i8", false, "not a float16/32/64 array")]
    public void ObjectFortranAndIntegerArraysAreRefusedByName(string descr, bool fortran, string expected)
    {
        using var dir = Paths.TempDir();
        var path = dir.File("bad.npy");
        NpyWriter.Write(path, descr, [2, 2], new byte[32], fortran);
        var e = Assert.Throws<InvalidDataException>(() => ConceptEmbeddingFile.Load(path));
        Assert.Contains("bad.npy", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TruncatedDataAndOtherShapesAreRefused()
    {
        using var dir = Paths.TempDir();
        NpyWriter.Write(dir.File("short.npy"), "<f4", [4, 4], new byte[40]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ConceptEmbeddingFile.Load(dir.File("short.npy"))).Message);
        NpyWriter.Write(dir.File("flat.npy"), "<f4", [4], new byte[16]);
        Assert.Contains("2-D", Assert.Throws<InvalidDataException>(() => ConceptEmbeddingFile.Load(dir.File("flat.npy"))).Message);
        File.WriteAllBytes(dir.File("cut.npy"), [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 200, 0, (byte)'{']);
        Assert.Contains("header", Assert.Throws<InvalidDataException>(() => ConceptEmbeddingFile.Load(dir.File("cut.npy"))).Message);
    }
}
