namespace RegionClip.Torch.nn;

/// <summary>A tensor registered as a module parameter: requires grad, outlives dispose scopes.</summary>
public sealed class Parameter : Tensor
{
    /// <summary>Takes ownership of <paramref name="data"/>'s storage (the argument stays usable and shares it).</summary>
    public Parameter(Tensor data, bool requiresGrad = true) : base(AliasOf(data))
    {
        DetachFromDisposeScope();
        requires_grad = requiresGrad;
    }

    private static IntPtr AliasOf(Tensor data)
    {
        using var detached = data.detach();
        Check.Ok(Native.NativeMethods.rc_tensor_alias(detached.Handle, out var h), "nn.Parameter", data);
        return h;
    }
}
