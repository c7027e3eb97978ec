using RegionClip.Torch.Native;

namespace RegionClip.Torch;

public partial class Tensor
{
    public bool requires_grad
    {
        get
        {
            Check.Ok(NativeMethods.rc_tensor_requires_grad(Handle, out var v), "Tensor.requires_grad", this);
            return v != 0;
        }
        set => Check.Ok(NativeMethods.rc_tensor_set_requires_grad(Handle, value ? 1 : 0), "Tensor.requires_grad_", this);
    }

    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    public bool is_leaf
    {
        get
        {
            Check.Ok(NativeMethods.rc_tensor_is_leaf(Handle, out var v), "Tensor.is_leaf", this);
            return v != 0;
        }
    }

    public bool is_inference()
    {
        Check.Ok(NativeMethods.rc_tensor_is_inference(Handle, out var v), "Tensor.is_inference", this);
        return v != 0;
    }

    /// <summary>
    /// The accumulated gradient, or null. Each read returns a new handle to the same gradient
    /// tensor (dispose it, or let the scope do so); setting null clears it.
    /// </summary>
    public Tensor? grad
    {
        get
        {
            Check.Ok(NativeMethods.rc_tensor_grad(Handle, out var o), "Tensor.grad", this);
            return o == IntPtr.Zero ? null : Wrap(o);
        }
        set => Check.Ok(NativeMethods.rc_tensor_set_grad(Handle, value?.Handle ?? TensorHandle.Null), "Tensor.grad", this, value);
    }

    public void retain_grad() => Check.Ok(NativeMethods.rc_tensor_retain_grad(Handle), "Tensor.retain_grad", this);

    public void backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Check.Ok(NativeMethods.rc_tensor_backward(Handle, gradient?.Handle ?? TensorHandle.Null, retainGraph ? 1 : 0, createGraph ? 1 : 0),
            "Tensor.backward", this, gradient);
}
