using System.Runtime.InteropServices;
using System.Text;
using RegionClip.Torch.Native;

namespace RegionClip.Torch;

/// <summary>A libtorch error, with the operation and the shapes of its tensor inputs.</summary>
public sealed class TorchException : Exception
{
    public TorchException(string message) : base(message) { }

    /// <summary>The operation that failed, e.g. "torch.matmul".</summary>
    public string? Operation { get; init; }

    internal static string LastNativeError() => Marshal.PtrToStringUTF8(NativeMethods.rc_last_error()) ?? "unknown native error";

    internal static TorchException FromNative(string op, ReadOnlySpan<Tensor?> inputs)
    {
        var sb = new StringBuilder(op).Append('(');
        for (int i = 0; i < inputs.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(Describe(inputs[i]));
        }
        sb.Append("): ").Append(LastNativeError());
        return new TorchException(sb.ToString()) { Operation = op };
    }

    private static string Describe(Tensor? t)
    {
        if (t is null) return "None";
        if (t.IsDisposed) return "<disposed tensor>";
        try { return $"{t.dtype.Name()}[{string.Join(", ", t.shape)}]"; }
        catch (TorchException) { return "<tensor>"; }
    }
}

/// <summary>Status checks for native calls; the failure path formats the message.</summary>
internal static class Check
{
    internal static void Ok(int status, string op)
    {
        if (status != 0) throw TorchException.FromNative(op, ReadOnlySpan<Tensor?>.Empty);
    }

    internal static void Ok(int status, string op, Tensor? a)
    {
        if (status != 0) throw TorchException.FromNative(op, [a]);
    }

    internal static void Ok(int status, string op, Tensor? a, Tensor? b)
    {
        if (status != 0) throw TorchException.FromNative(op, [a, b]);
    }

    internal static void Ok(int status, string op, Tensor? a, Tensor? b, Tensor? c)
    {
        if (status != 0) throw TorchException.FromNative(op, [a, b, c]);
    }

    internal static void Ok(int status, string op, ReadOnlySpan<Tensor?> inputs)
    {
        if (status != 0) throw TorchException.FromNative(op, inputs);
    }
}
