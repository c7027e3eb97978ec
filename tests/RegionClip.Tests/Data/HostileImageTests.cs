using System.Buffers.Binary;
using System.Text;
using RegionClip.Data;

namespace RegionClip.Tests.Data;

/// <summary>
/// Small images crafted to exhaust the decoders (issue 13, item 8, found by fuzzing): each is
/// refused with one message naming the file before it takes the memory or time its header asks
/// for, and a good image decodes normally right after.
/// </summary>
public sealed class HostileImageTests : TorchTest
{
    private static byte[] Fixture(string name) => File.ReadAllBytes(ImageReference.File(name));

    private static InvalidDataException Refused(byte[] data, string name, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.Decode(data, name).Dispose());
        Assert.StartsWith($"'{name}' ", e.Message);
        Assert.Contains(reason, e.Message);
        using (var good = ImageIO.Read(ImageReference.File("rgb.jpg"))) Assert.Equal([48L, 64, 3], good.shape);
        return e;
    }

    // ---- JPEG segments ----

    /// <summary>Offset just past the first SOS segment's header, where the scan's data begins.</summary>
    private static int ScanDataStart(byte[] jpeg)
    {
        for (int at = 2; ;)
        {
            Assert.Equal(0xFF, jpeg[at]);
            int marker = jpeg[at + 1], length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 2));
            if (marker == 0xDA) return at + 2 + length;
            at += 2 + length;
        }
    }

    /// <summary>The same JPEG with its frame header (SOF0..SOF2) declaring another size.</summary>
    private static byte[] WithSize(byte[] jpeg, int width, int height)
    {
        var copy = (byte[])jpeg.Clone();
        for (int at = 2; ;)
        {
            int marker = copy[at + 1], length = BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(at + 2));
            if (marker is >= 0xC0 and <= 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at + 7), (ushort)width);
                return copy;
            }
            at += 2 + length;
        }
    }

    /// <summary>The headers and the first scan's header, then <paramref name="keep"/> of its data and EOI.</summary>
    private static byte[] CutScan(byte[] jpeg, double keep)
    {
        int start = ScanDataStart(jpeg), end = jpeg.Length - 2;  // before EOI
        return [.. jpeg.AsSpan(0, start + (int)((end - start) * keep)), 0xFF, 0xD9];
    }

    [Fact]
    public void JpegHeaderDeclaringBillionsOfPixelsIsRefusedBeforeDecoding()
    {
        // 65000x65000 in about 600 bytes: 12.7 GB of RGB, and minutes of decoding grey.
        var bomb = CutScan(WithSize(Fixture("rgb.jpg"), 65000, 65000), 0);
        Assert.InRange(bomb.Length, 1, 1024);
        var e = Refused(bomb, "bomb.jpg", "declares 65000x65000 = 4225000000 pixels, more than the limit of 178956970");
        Assert.Contains("ImageIO.MaxPixels", e.Message);
    }

    [Fact]
    public void PngHeaderDeclaringBillionsOfPixelsIsRefusedBeforeDecoding()
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, 65000);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), 65000);
        ihdr[8] = 8;  // bit depth; color type 0 (gray), no interlace
        byte[] png = [0x89, .. "PNG\r\n\x1A\n"u8, .. Chunk("IHDR", ihdr), .. Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), .. Chunk("IEND", [])];
        Refused(png, "bomb.png", "declares 65000x65000 = 4225000000 pixels");
    }

    [Fact]
    public void JpegWhoseScanStopsAfterItsHeaderIsATruncatedFile()
    {
        Refused(CutScan(Fixture("rgb.jpg"), 0), "header-only.jpg", "truncated JPEG image: its image data stops at row 0 of 48");
        Refused(CutScan(Fixture("rgb.jpg"), 0.05), "nearly-empty.jpg", "truncated JPEG image");

        // Under the pixel limit a big header-only file is refused the same way, not decoded as grey.
        Refused(CutScan(WithSize(Fixture("rgb.jpg"), 10000, 10000), 0), "big-empty.jpg", "stops at row 0 of 10000");
        Refused(CutScan(Fixture("progressive.jpg"), 0), "progressive-header-only.jpg", "truncated JPEG image");
    }

    [Fact]
    public void SlightlyTruncatedJpegStillDecodes()
    {
        // As before (and as PIL does): a scan cut near its end decodes, the missing rows grey.
        using var image = ImageIO.Decode(CutScan(Fixture("rgb.jpg"), 0.9), "nearly-whole.jpg");
        Assert.Equal([48L, 64, 3], image.shape);
    }

    [Fact]
    public void ProgressiveJpegWithThousandsOfScansIsRefused()
    {
        // Each scan is a pass over the whole image: 600 copies of the last one.
        var jpeg = Fixture("progressive.jpg");
        int last = LastSos(jpeg), end = jpeg.Length - 2;
        byte[] many = [.. jpeg.AsSpan(0, end), .. Enumerable.Repeat(jpeg[last..end], 600).SelectMany(s => s), 0xFF, 0xD9];
        Refused(many, "scans.jpg", "more than 500 scans");
    }

    [Fact]
    public void PixelLimitIsConfigurable()
    {
        var saved = ImageIO.MaxPixels;
        Assert.Equal(178_956_970L, saved);
        try
        {
            ImageIO.MaxPixels = 1000;
            var e = Assert.Throws<InvalidDataException>(() => ImageIO.Read(ImageReference.File("rgb.jpg")).Dispose());
            Assert.Contains("64x48 = 3072 pixels, more than the limit of 1000", e.Message);
            Assert.Throws<InvalidDataException>(() => ImageIO.Read(ImageReference.File("png_rgb.png")).Dispose());
            ImageIO.MaxPixels = 3072;
            using (var image = ImageIO.Read(ImageReference.File("rgb.jpg"))) Assert.Equal([48L, 64, 3], image.shape);
            Assert.Throws<ArgumentOutOfRangeException>(() => ImageIO.MaxPixels = 0);
            Assert.Equal(3072L, ImageIO.MaxPixels);
        }
        finally
        {
            ImageIO.MaxPixels = saved;
        }
    }

    private static int LastSos(byte[] jpeg)
    {
        for (int i = jpeg.Length - 2; i > 0; i--)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) return i;
        throw new InvalidDataException("no SOS marker");
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        typed.CopyTo(chunk, 4);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(typed));
        return chunk;
    }

    private static uint Crc32(byte[] bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
