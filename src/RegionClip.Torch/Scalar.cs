using RegionClip.Torch.Native;

namespace RegionClip.Torch;

/// <summary>
/// A number passed by value to native code. Integer and boolean scalars keep their kind so that
/// `intTensor + 1` stays integral, exactly as in PyTorch.
/// </summary>
public readonly struct Scalar
{
    private readonly RcScalar _value;

    private Scalar(RcScalar v) => _value = v;

    public static implicit operator Scalar(double v) => new(new RcScalar { F = v, I = 0, Kind = 0 });
    public static implicit operator Scalar(float v) => new(new RcScalar { F = v, I = 0, Kind = 0 });
    public static implicit operator Scalar(long v) => new(new RcScalar { F = v, I = v, Kind = 1 });
    public static implicit operator Scalar(int v) => new(new RcScalar { F = v, I = v, Kind = 1 });
    public static implicit operator Scalar(bool v) => new(new RcScalar { F = v ? 1 : 0, I = v ? 1 : 0, Kind = 2 });

    internal RcScalar Native => _value;

    public bool IsIntegral => _value.Kind != 0;
    public double ToDouble() => _value.Kind == 0 ? _value.F : _value.I;

    public override string ToString() => _value.Kind switch
    {
        0 => _value.F.ToString(System.Globalization.CultureInfo.InvariantCulture),
        1 => _value.I.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => _value.I != 0 ? "True" : "False",
    };
}
