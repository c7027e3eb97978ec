using RegionClip.Torch;
using RegionClip.Torch.nn;
using RegionClip.Torch.Serialization;

namespace RegionClip.Bench;

/// <summary>
/// torchvision.models.resnet.Bottleneck (ResNet v1.5: the stride sits on the 3×3 conv). Child
/// names equal torchvision's state-dict keys: conv1/bn1/conv2/bn2/conv3/bn3/downsample.{0,1}.
/// </summary>
internal sealed class Bottleneck : Module<Tensor, Tensor>
{
    public const long Expansion = 4;

    private readonly Conv2d conv1, conv2, conv3;
    private readonly BatchNorm2d bn1, bn2, bn3;
    private readonly Sequential? downsample;

    public Bottleneck(long inplanes, long planes, long stride, bool withDownsample)
    {
        conv1 = register_module("conv1", new Conv2d(inplanes, planes, 1, hasBias: false));
        bn1 = register_module("bn1", new BatchNorm2d(planes));
        conv2 = register_module("conv2", new Conv2d(planes, planes, 3, stride: stride, padding: 1, hasBias: false));
        bn2 = register_module("bn2", new BatchNorm2d(planes));
        conv3 = register_module("conv3", new Conv2d(planes, planes * Expansion, 1, hasBias: false));
        bn3 = register_module("bn3", new BatchNorm2d(planes * Expansion));
        register_module("relu", new ReLU());
        if (withDownsample)
            downsample = register_module("downsample", new Sequential(
                new Conv2d(inplanes, planes * Expansion, 1, stride: stride, hasBias: false),
                new BatchNorm2d(planes * Expansion)));
    }

    public override Tensor forward(Tensor x)
    {
        var y = Then(conv1.forward(x), bn1).relu_();
        y = Then(Then(y, conv2), bn2).relu_();
        y = Then(Then(y, conv3), bn3);
        // torchvision computes the shortcut last, so peak memory matches too.
        if (downsample is null)
        {
            y.add_(x);
        }
        else
        {
            using var identity = downsample.forward(x);
            y.add_(identity);
        }
        return y.relu_();
    }

    /// <summary>Applies <paramref name="m"/> and frees its input at once, as Python frees a rebound `out`.</summary>
    internal static Tensor Then(Tensor x, Module<Tensor, Tensor> m)
    {
        using (x) return m.forward(x);
    }
}

/// <summary>torchvision.models.resnet50: stem, layer1..4 of [3, 4, 6, 3] bottlenecks, avgpool, fc.</summary>
internal sealed class ResNet50 : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1, layer2, layer3, layer4;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Linear fc;

    public ResNet50(long numClasses = 1000)
    {
        conv1 = register_module("conv1", new Conv2d(3, 64, 7, stride: 2, padding: 3, hasBias: false));
        bn1 = register_module("bn1", new BatchNorm2d(64));
        register_module("relu", new ReLU());
        maxpool = register_module("maxpool", new MaxPool2d(3, 2, 1));
        long inplanes = 64;
        layer1 = register_module("layer1", MakeLayer(ref inplanes, 64, 3, 1));
        layer2 = register_module("layer2", MakeLayer(ref inplanes, 128, 4, 2));
        layer3 = register_module("layer3", MakeLayer(ref inplanes, 256, 6, 2));
        layer4 = register_module("layer4", MakeLayer(ref inplanes, 512, 3, 2));
        avgpool = register_module("avgpool", new AdaptiveAvgPool2d(1, 1));
        fc = register_module("fc", new Linear(512 * Bottleneck.Expansion, numClasses));
    }

    private static Sequential MakeLayer(ref long inplanes, long planes, int blocks, long stride)
    {
        var layer = new Sequential();
        layer.append(new Bottleneck(inplanes, planes, stride, stride != 1 || inplanes != planes * Bottleneck.Expansion));
        inplanes = planes * Bottleneck.Expansion;
        for (int i = 1; i < blocks; i++) layer.append(new Bottleneck(inplanes, planes, 1, false));
        return layer;
    }

    /// <summary>[N, 3, H, W] image → [N, classes] logits.</summary>
    public override Tensor forward(Tensor x)
    {
        var y = Bottleneck.Then(conv1.forward(x), bn1).relu_();
        y = Bottleneck.Then(y, maxpool);
        y = Bottleneck.Then(y, layer1);
        y = Bottleneck.Then(y, layer2);
        y = Bottleneck.Then(y, layer3);
        y = Bottleneck.Then(y, layer4);
        y = Bottleneck.Then(y, avgpool);
        using (y)
        {
            using var flat = y.flatten(1); // [N, 2048, 1, 1] -> [N, 2048]
            return fc.forward(flat);
        }
    }

    /// <summary>Builds the model and loads a torchvision state dict with strict key and shape matching.</summary>
    public static ResNet50 Load(string path)
    {
        var model = new ResNet50();
        var state = Checkpoint.LoadStateDict(path);
        try
        {
            model.load_state_dict(state, strict: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
        model.eval();
        return model;
    }
}
