using RegionClip.Torch.Native;

namespace RegionClip.Torch.nn;

public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
    /// <summary>Sum divided by the batch size (kl_div only).</summary>
    BatchMean = 3,
}

public enum InterpolationMode
{
    Nearest = 0,
    Bilinear = 1,
    Bicubic = 2,
}

public enum PaddingMode
{
    Zeros = 0,
    Border = 1,
    Reflection = 2,
}

/// <summary>torch.nn.functional (import as `using F = RegionClip.Torch.nn.functional;`).</summary>
public static class functional
{
    private static long[] Pair(long v) => [v, v];

    public static unsafe Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null, long[]? dilation = null, long groups = 1)
    {
        long[] s = stride ?? Pair(1), p = padding ?? Pair(0), d = dilation ?? Pair(1);
        IntPtr o;
        fixed (long* ps = s, pp = p, pd = d)
            Check.Ok(NativeMethods.rc_nn_conv2d(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null, ps, pp, pd, groups, out o), "F.conv2d", input, weight, bias);
        return Tensor.Wrap(o);
    }

    public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long dilation = 1, long groups = 1) =>
        conv2d(input, weight, bias, Pair(stride), Pair(padding), Pair(dilation), groups);

    public static Tensor conv1d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long dilation = 1, long groups = 1)
    {
        Check.Ok(NativeMethods.rc_nn_conv1d(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null, stride, padding, dilation, groups, out var o), "F.conv1d", input, weight, bias);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor conv_transpose2d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long outputPadding = 0, long groups = 1, long dilation = 1)
    {
        long[] s = Pair(stride), p = Pair(padding), op = Pair(outputPadding), d = Pair(dilation);
        IntPtr o;
        fixed (long* ps = s, pp = p, pop = op, pd = d)
            Check.Ok(NativeMethods.rc_nn_conv_transpose2d(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null, ps, pp, pop, groups, pd, out o), "F.conv_transpose2d", input, weight, bias);
        return Tensor.Wrap(o);
    }

    public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        Check.Ok(NativeMethods.rc_nn_linear(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null, out var o), "F.linear", input, weight, bias);
        return Tensor.Wrap(o);
    }

    public static Tensor batch_norm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        Check.Ok(NativeMethods.rc_nn_batch_norm(input.Handle, weight?.Handle ?? TensorHandle.Null, bias?.Handle ?? TensorHandle.Null,
            runningMean?.Handle ?? TensorHandle.Null, runningVar?.Handle ?? TensorHandle.Null, training ? 1 : 0, momentum, eps, out var o), "F.batch_norm", input, runningMean, runningVar);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor layer_norm(Tensor input, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        IntPtr o;
        fixed (long* p = normalizedShape)
            Check.Ok(NativeMethods.rc_nn_layer_norm(input.Handle, p, normalizedShape.Length, weight?.Handle ?? TensorHandle.Null, bias?.Handle ?? TensorHandle.Null, eps, out o), "F.layer_norm", input, weight, bias);
        return Tensor.Wrap(o);
    }

    public static Tensor group_norm(Tensor input, long numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        Check.Ok(NativeMethods.rc_nn_group_norm(input.Handle, numGroups, weight?.Handle ?? TensorHandle.Null, bias?.Handle ?? TensorHandle.Null, eps, out var o), "F.group_norm", input, weight, bias);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor max_pool2d(Tensor input, long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false)
    {
        long[] k = Pair(kernelSize), s = Pair(stride ?? kernelSize), p = Pair(padding), d = Pair(dilation);
        IntPtr o;
        fixed (long* pk = k, ps = s, pp = p, pd = d)
            Check.Ok(NativeMethods.rc_nn_max_pool2d(input.Handle, pk, ps, pp, pd, ceilMode ? 1 : 0, out o), "F.max_pool2d", input);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor avg_pool2d(Tensor input, long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        long[] k = Pair(kernelSize), s = Pair(stride ?? kernelSize), p = Pair(padding);
        IntPtr o;
        fixed (long* pk = k, ps = s, pp = p)
            Check.Ok(NativeMethods.rc_nn_avg_pool2d(input.Handle, pk, ps, pp, ceilMode ? 1 : 0, countIncludePad ? 1 : 0, out o), "F.avg_pool2d", input);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor adaptive_avg_pool2d(Tensor input, long outH, long outW)
    {
        long[] size = [outH, outW];
        IntPtr o;
        fixed (long* p = size) Check.Ok(NativeMethods.rc_nn_adaptive_pool2d(input.Handle, p, 0, out o), "F.adaptive_avg_pool2d", input);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor adaptive_max_pool2d(Tensor input, long outH, long outW)
    {
        long[] size = [outH, outW];
        IntPtr o;
        fixed (long* p = size) Check.Ok(NativeMethods.rc_nn_adaptive_pool2d(input.Handle, p, 1, out o), "F.adaptive_max_pool2d", input);
        return Tensor.Wrap(o);
    }

    public static Tensor softmax(Tensor input, long dim)
    {
        Check.Ok(NativeMethods.rc_nn_softmax(input.Handle, dim, 0, out var o), "F.softmax", input);
        return Tensor.Wrap(o);
    }

    public static Tensor log_softmax(Tensor input, long dim)
    {
        Check.Ok(NativeMethods.rc_nn_softmax(input.Handle, dim, 1, out var o), "F.log_softmax", input);
        return Tensor.Wrap(o);
    }

    public static Tensor relu(Tensor input) => input.relu();
    public static Tensor sigmoid(Tensor input) => input.sigmoid();
    public static Tensor silu(Tensor input) => input.Unary(UnaryOp.Silu, "F.silu");
    public static Tensor softplus(Tensor input) => input.Unary(UnaryOp.Softplus, "F.softplus");
    public static Tensor logsigmoid(Tensor input) => input.Unary(UnaryOp.LogSigmoid, "F.logsigmoid");

    /// <summary>GELU; approximate "tanh" selects the tanh approximation.</summary>
    public static Tensor gelu(Tensor input, string approximate = "none") => approximate switch
    {
        "none" => input.Unary(UnaryOp.Gelu, "F.gelu"),
        "tanh" => input.Unary(UnaryOp.GeluTanh, "F.gelu"),
        _ => throw new ArgumentException($"approximate must be 'none' or 'tanh', got '{approximate}'", nameof(approximate)),
    };

    public static Tensor leaky_relu(Tensor input, double negativeSlope = 0.01)
    {
        Check.Ok(NativeMethods.rc_nn_leaky_relu(input.Handle, negativeSlope, out var o), "F.leaky_relu", input);
        return Tensor.Wrap(o);
    }

    public static Tensor dropout(Tensor input, double p = 0.5, bool training = true)
    {
        Check.Ok(NativeMethods.rc_tensor_dropout(input.Handle, p, training ? 1 : 0, out var o), "F.dropout", input);
        return Tensor.Wrap(o);
    }

    public static Tensor embedding(Tensor indices, Tensor weight)
    {
        Check.Ok(NativeMethods.rc_nn_embedding(weight.Handle, indices.Handle, out var o), "F.embedding", indices, weight);
        return Tensor.Wrap(o);
    }

    public static Tensor one_hot(Tensor indices, long numClasses = -1)
    {
        Check.Ok(NativeMethods.rc_tensor_one_hot(indices.Handle, numClasses, out var o), "F.one_hot", indices);
        return Tensor.Wrap(o);
    }

    /// <summary>x / max(‖x‖_p, eps) along dim.</summary>
    public static Tensor normalize(Tensor input, double p = 2, long dim = 1, double eps = 1e-12)
    {
        Check.Ok(NativeMethods.rc_nn_normalize(input.Handle, p, dim, eps, out var o), "F.normalize", input);
        return Tensor.Wrap(o);
    }

    /// <summary>Resize NCHW to (outH, outW); antialias applies to bilinear/bicubic when shrinking, like PIL.</summary>
    public static Tensor interpolate(Tensor input, long outH, long outW, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false, bool antialias = false)
    {
        if (antialias && mode == InterpolationMode.Nearest) throw new ArgumentException("antialias needs bilinear or bicubic mode");
        // PyTorch refuses this too: nearest has no corner convention, so the flag would be silently meaningless.
        if (alignCorners && mode == InterpolationMode.Nearest) throw new ArgumentException("alignCorners can only be set with bilinear or bicubic mode");
        Check.Ok(NativeMethods.rc_nn_interpolate(input.Handle, outH, outW, (int)mode, alignCorners ? 1 : 0, antialias ? 1 : 0, out var o), "F.interpolate", input);
        return Tensor.Wrap(o);
    }

    public static Tensor grid_sample(Tensor input, Tensor grid, InterpolationMode mode = InterpolationMode.Bilinear, PaddingMode paddingMode = PaddingMode.Zeros, bool alignCorners = false)
    {
        // ATen's grid_sampler codes: bilinear 0, nearest 1, bicubic 2.
        int m = mode switch { InterpolationMode.Bilinear => 0, InterpolationMode.Nearest => 1, _ => 2 };
        Check.Ok(NativeMethods.rc_nn_grid_sample(input.Handle, grid.Handle, m, (int)paddingMode, alignCorners ? 1 : 0, out var o), "F.grid_sample", input, grid);
        return Tensor.Wrap(o);
    }

    /// <summary>F.pad; pads list last dim first (left, right, top, bottom, ...). mode: constant, reflect, replicate.</summary>
    public static unsafe Tensor pad(Tensor input, long[] pads, string mode = "constant", double value = 0)
    {
        int m = mode switch
        {
            "constant" => 0,
            "reflect" => 1,
            "replicate" => 2,
            _ => throw new ArgumentException($"unknown pad mode '{mode}'", nameof(mode)),
        };
        IntPtr o;
        fixed (long* p = pads) Check.Ok(NativeMethods.rc_nn_pad(input.Handle, p, pads.Length, m, value, out o), "F.pad", input);
        return Tensor.Wrap(o);
    }

    // ---- losses --------------------------------------------------------------------------------

    public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, long ignoreIndex = -100, double labelSmoothing = 0)
    {
        Check.Ok(NativeMethods.rc_nn_cross_entropy(input.Handle, target.Handle, weight?.Handle ?? TensorHandle.Null, (int)reduction, ignoreIndex, labelSmoothing, out var o), "F.cross_entropy", input, target, weight);
        return Tensor.Wrap(o);
    }

    public static Tensor nll_loss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, long ignoreIndex = -100)
    {
        Check.Ok(NativeMethods.rc_nn_nll_loss(input.Handle, target.Handle, weight?.Handle ?? TensorHandle.Null, (int)reduction, ignoreIndex, out var o), "F.nll_loss", input, target, weight);
        return Tensor.Wrap(o);
    }

    /// <summary>KL(target ‖ input) with input given as log-probabilities, as F.kl_div.</summary>
    public static Tensor kl_div(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        Check.Ok(NativeMethods.rc_nn_kl_div(input.Handle, target.Handle, (int)reduction, logTarget ? 1 : 0, out var o), "F.kl_div", input, target);
        return Tensor.Wrap(o);
    }

    public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean)
    {
        Check.Ok(NativeMethods.rc_nn_bce_with_logits(input.Handle, target.Handle, weight?.Handle ?? TensorHandle.Null, posWeight?.Handle ?? TensorHandle.Null, (int)reduction, out var o),
            "F.binary_cross_entropy_with_logits", input, target, weight);
        return Tensor.Wrap(o);
    }

    public static Tensor smooth_l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        Check.Ok(NativeMethods.rc_nn_smooth_l1(input.Handle, target.Handle, (int)reduction, beta, out var o), "F.smooth_l1_loss", input, target);
        return Tensor.Wrap(o);
    }

    public static Tensor l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Check.Ok(NativeMethods.rc_nn_l1_loss(input.Handle, target.Handle, (int)reduction, out var o), "F.l1_loss", input, target);
        return Tensor.Wrap(o);
    }

    public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Check.Ok(NativeMethods.rc_nn_mse_loss(input.Handle, target.Handle, (int)reduction, out var o), "F.mse_loss", input, target);
        return Tensor.Wrap(o);
    }
}
