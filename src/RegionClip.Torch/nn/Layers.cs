using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.nn;

/// <summary>y = x·Wᵀ + b; weight [out, in].</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    public Parameter weight { get; }
    public Parameter? bias { get; }

    public Linear(long inFeatures, long outFeatures, bool hasBias = true)
    {
        weight = register_parameter("weight", torch.empty([outFeatures, inFeatures]))!;
        init.kaiming_uniform_(weight, Math.Sqrt(5));
        if (hasBias)
        {
            bias = register_parameter("bias", torch.empty([outFeatures]))!;
            var bound = 1 / Math.Sqrt(inFeatures);
            init.uniform_(bias, -bound, bound);
        }
    }

    public override Tensor forward(Tensor x) => F.linear(x, weight, bias);
}

public sealed class Conv2d : Module<Tensor, Tensor>
{
    public Parameter weight { get; }
    public Parameter? bias { get; }
    public long stride { get; }
    public long padding { get; }
    public long dilation { get; }
    public long groups { get; }

    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool hasBias = true)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"channels ({inChannels} in, {outChannels} out) must be divisible by groups ({groups})");
        (this.stride, this.padding, this.dilation, this.groups) = (stride, padding, dilation, groups);
        weight = register_parameter("weight", torch.empty([outChannels, inChannels / groups, kernelSize, kernelSize]))!;
        init.kaiming_uniform_(weight, Math.Sqrt(5));
        if (hasBias)
        {
            bias = register_parameter("bias", torch.empty([outChannels]))!;
            var bound = 1 / Math.Sqrt(inChannels / groups * kernelSize * kernelSize);
            init.uniform_(bias, -bound, bound);
        }
    }

    public override Tensor forward(Tensor x) => F.conv2d(x, weight, bias, stride, padding, dilation, groups);
}

/// <summary>BatchNorm2d with running statistics (eval uses them; train updates them).</summary>
public sealed class BatchNorm2d : Module<Tensor, Tensor>
{
    public Parameter weight { get; }
    public Parameter bias { get; }
    public Tensor running_mean { get; }
    public Tensor running_var { get; }
    public Tensor num_batches_tracked { get; }
    public double eps { get; }
    public double momentum { get; }

    public BatchNorm2d(long features, double eps = 1e-5, double momentum = 0.1)
    {
        (this.eps, this.momentum) = (eps, momentum);
        weight = register_parameter("weight", torch.ones([features]))!;
        bias = register_parameter("bias", torch.zeros([features]))!;
        running_mean = register_buffer("running_mean", torch.zeros([features]))!;
        running_var = register_buffer("running_var", torch.ones([features]))!;
        num_batches_tracked = register_buffer("num_batches_tracked", torch.zeros([], ScalarType.Int64))!;
    }

    /// <summary>As PyTorch's BatchNorm: a state saved without the step counter (frozen BN, older files) keeps this one's.</summary>
    protected override void adapt_loaded_state(string prefix, IDictionary<string, Tensor> state) =>
        state.TryAdd(prefix + "num_batches_tracked", num_batches_tracked);

    public override Tensor forward(Tensor x)
    {
        if (training)
        {
            using var _ = torch.no_grad();
            num_batches_tracked.add_(1);
        }
        return F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps);
    }
}

public sealed class LayerNorm : Module<Tensor, Tensor>
{
    public Parameter weight { get; }
    public Parameter bias { get; }
    public long[] normalized_shape { get; }
    public double eps { get; }

    public LayerNorm(long[] normalizedShape, double eps = 1e-5)
    {
        (normalized_shape, this.eps) = (normalizedShape, eps);
        weight = register_parameter("weight", torch.ones(normalizedShape))!;
        bias = register_parameter("bias", torch.zeros(normalizedShape))!;
    }

    public LayerNorm(long features, double eps = 1e-5) : this([features], eps) { }

    public override Tensor forward(Tensor x) => F.layer_norm(x, normalized_shape, weight, bias, eps);
}

public sealed class Embedding : Module<Tensor, Tensor>
{
    public Parameter weight { get; }

    public Embedding(long count, long dim)
    {
        weight = register_parameter("weight", torch.empty([count, dim]))!;
        init.normal_(weight);
    }

    public override Tensor forward(Tensor indices) => F.embedding(indices, weight);
}

public sealed class ReLU : Module<Tensor, Tensor>
{
    public override Tensor forward(Tensor x) => x.relu();
}

public sealed class Identity : Module<Tensor, Tensor>
{
    public override Tensor forward(Tensor x) => x.alias();
}

public sealed class Dropout(double p = 0.5) : Module<Tensor, Tensor>
{
    public override Tensor forward(Tensor x) => F.dropout(x, p, training);
}

public sealed class MaxPool2d(long kernelSize, long? stride = null, long padding = 0) : Module<Tensor, Tensor>
{
    public override Tensor forward(Tensor x) => F.max_pool2d(x, kernelSize, stride, padding);
}

public sealed class AvgPool2d(long kernelSize, long? stride = null, long padding = 0) : Module<Tensor, Tensor>
{
    public override Tensor forward(Tensor x) => F.avg_pool2d(x, kernelSize, stride, padding);
}

public sealed class AdaptiveAvgPool2d(long outH, long outW) : Module<Tensor, Tensor>
{
    public override Tensor forward(Tensor x) => F.adaptive_avg_pool2d(x, outH, outW);
}

/// <summary>Children named "0", "1", … like torch.nn.Sequential; intermediates are freed as it goes.</summary>
public sealed class Sequential : Module<Tensor, Tensor>
{
    private readonly List<Module<Tensor, Tensor>> _layers = new();

    public Sequential(params Module<Tensor, Tensor>[] layers)
    {
        foreach (var l in layers) append(l);
    }

    public Sequential append(Module<Tensor, Tensor> layer)
    {
        register_module(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        return this;
    }

    public int Count => _layers.Count;
    public Module<Tensor, Tensor> this[int i] => _layers[i];

    public override Tensor forward(Tensor x)
    {
        var current = x;
        foreach (var layer in _layers)
        {
            var next = layer.forward(current);
            if (!ReferenceEquals(current, x)) current.Dispose();
            current = next;
        }
        return ReferenceEquals(current, x) ? x.alias() : current;
    }
}

/// <summary>An indexed list of child modules named "0", "1", …</summary>
public sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> _items = new();

    public ModuleList(IEnumerable<T>? items = null)
    {
        if (items is not null) foreach (var m in items) append(m);
    }

    public ModuleList<T> append(T module)
    {
        register_module(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
        return this;
    }

    public int Count => _items.Count;
    public T this[int i] => _items[i];
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();
}
