namespace RegionClip.Synthetic.Raster;

/// <summary>An opaque RGB image being drawn, channels as floats on the 0..255 scale, row-major HWC.</summary>
public sealed class Canvas
{
    public Canvas(int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"canvas size must be positive, got {width}x{height}");
        Width = width;
        Height = height;
        Pixels = new float[width * height * 3];
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Pixels { get; }

    public Rgb this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return new(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
        set
        {
            int i = (y * Width + x) * 3;
            Pixels[i] = value.R;
            Pixels[i + 1] = value.G;
            Pixels[i + 2] = value.B;
        }
    }

    /// <summary>
    /// "Over" compositing of an opaque paint through a coverage mask: each pixel moves towards the
    /// paint by coverage × opacity. The paint is sampled at pixel centres mapped to local coordinates.
    /// </summary>
    public void Composite(Coverage mask, IPaint paint, Affine canvasToLocal, double footprint, double opacity = 1)
    {
        if (mask.IsEmpty) return;
        var alphaScale = (float)opacity;
        for (int my = 0; my < mask.Height; my++)
        {
            int y = mask.Y0 + my;
            double py = y + 0.5;
            for (int mx = 0; mx < mask.Width; mx++)
            {
                var alpha = mask.Values[my * mask.Width + mx] * alphaScale;
                if (alpha <= 0f) continue;
                int x = mask.X0 + mx;
                double px = x + 0.5;
                var c = paint.Sample(canvasToLocal.A * px + canvasToLocal.B * py + canvasToLocal.C,
                                     canvasToLocal.D * px + canvasToLocal.E * py + canvasToLocal.F, footprint);
                int i = (y * Width + x) * 3;
                Pixels[i] += (c.R - Pixels[i]) * alpha;
                Pixels[i + 1] += (c.G - Pixels[i + 1]) * alpha;
                Pixels[i + 2] += (c.B - Pixels[i + 2]) * alpha;
            }
        }
    }

    /// <summary>Rounded, clamped uint8 RGB bytes (HWC), ready for the image encoders.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Pixels.Length];
        for (int i = 0; i < Pixels.Length; i++)
        {
            var v = Pixels[i];
            bytes[i] = v <= 0f ? (byte)0 : v >= 255f ? (byte)255 : (byte)(v + 0.5f);
        }
        return bytes;
    }
}
