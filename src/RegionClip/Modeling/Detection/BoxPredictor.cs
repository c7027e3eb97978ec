using RegionClip.Modeling.Proposals;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Detection;

/// <summary>
/// RegionCLIP's FastRCNNOutputLayers with text-embedding classifiers and class-agnostic box regression, under
/// the official module names (the state-dict keys of roi_heads.box_predictor.*): <c>cls_score</c> [K, D] (the
/// training classes' text embeddings, frozen), <c>cls_bg_score</c> [1, D] (the frozen zero background
/// embedding), <c>test_cls_score</c> [K', D] (the open-set test embeddings, optional) and <c>bbox_pred</c>
/// (D → 4, trained). Logits: the cosine of each region with each class, the background column, ÷ temperature.
/// </summary>
public sealed class BoxPredictor : Module
{
    /// <param name="trainConcepts">[K, D] training-class embeddings (copied; not normalised).</param>
    /// <param name="testConcepts">[K', D] test-class embeddings (copied), or null.</param>
    /// <param name="generator">Draws bbox_pred's initial weights (normal, std 0.001; zero bias, as the official code).</param>
    public BoxPredictor(Tensor trainConcepts, Tensor? testConcepts, Generator? generator = null)
    {
        CheckConcepts(trainConcepts, "training", null);
        long dim = trainConcepts.size(1);
        if (testConcepts is not null) CheckConcepts(testConcepts, "test", dim);
        ClsScore = register_module("cls_score", FromWeight(trainConcepts));
        using (var zero = torch.zeros([1, dim])) ClsBgScore = register_module("cls_bg_score", FromWeight(zero));
        if (testConcepts is not null) TestClsScore = register_module("test_cls_score", FromWeight(testConcepts));
        BboxPred = register_module("bbox_pred", new Linear(dim, 4));
        using (torch.no_grad())
        {
            init.normal_(BboxPred.weight, 0, 0.001, generator);
            init.zeros_(BboxPred.bias!);
        }
        ClsScore.requires_grad_(false);
        ClsBgScore.requires_grad_(false);
        TestClsScore?.requires_grad_(false);
    }

    /// <summary>The ROI heads' Box2BoxTransform: weights (10, 10, 5, 5), dw and dh clamped at ln(1000/16) when decoding.</summary>
    public static Box2BoxTransform BoxTransform { get; } = new(10, 10, 5, 5);

    public Linear ClsScore { get; }
    public Linear ClsBgScore { get; }
    public Linear? TestClsScore { get; }
    public Linear BboxPred { get; }
    public int EmbedDim => (int)ClsScore.weight.size(1);
    public int NumTrainClasses => (int)ClsScore.weight.size(0);

    /// <summary>
    /// Class logits [R, K + 1] (background last) of region embeddings [R, D]: the training classes, or with
    /// <paramref name="test"/> the test classes (all categories; the training ones when the file has none).
    /// </summary>
    public Tensor Logits(Tensor regions, bool test, double temperature = RegionClassifier.Temperature)
    {
        using var scope = torch.NewDisposeScope();
        var classes = test && TestClsScore is not null ? TestClsScore.weight : ClsScore.weight;
        var x = F.normalize(regions, dim: 1);
        var cos = x.matmul(F.normalize(classes, dim: 1).t());
        var background = x.matmul(ClsBgScore.weight.t());
        return (torch.cat([cos, background], 1) / temperature).MoveToOuterScope();
    }

    /// <summary>Class-agnostic box deltas [R, 4] (to decode with <see cref="BoxTransform"/>).</summary>
    public Tensor Deltas(Tensor regions) => BboxPred.forward(regions);

    /// <summary>The regressed boxes [R, 4] of region embeddings [R, D] and their proposals [R, 4] (input pixels), without gradient.</summary>
    public Tensor RegressBoxes(Tensor regions, Tensor proposals)
    {
        using var guard = torch.no_grad();
        using var deltas = Deltas(regions);
        return BoxTransform.ApplyDeltas(deltas, proposals);
    }

    /// <summary>Sets bbox_pred's weights (e.g. a fixture's initial values).</summary>
    public void LoadBoxRegressor(Tensor weight, Tensor bias)
    {
        if (!weight.shape.AsSpan().SequenceEqual(BboxPred.weight.shape) || !bias.shape.AsSpan().SequenceEqual(BboxPred.bias!.shape))
            throw new ArgumentException($"a box regressor for {EmbedDim}-dimensional regions is weight [4, {EmbedDim}] and bias [4]; got [{string.Join(", ", weight.shape)}] and [{string.Join(", ", bias.shape)}]");
        using var _ = torch.no_grad();
        BboxPred.weight.copy_(weight);
        BboxPred.bias!.copy_(bias);
    }

    private static Linear FromWeight(Tensor weight)
    {
        var linear = new Linear(weight.size(1), weight.size(0), hasBias: false);
        using var _ = torch.no_grad();
        using var values = weight.to(ScalarType.Float32);
        linear.weight.copy_(values);
        return linear;
    }

    private static void CheckConcepts(Tensor t, string what, long? dim)
    {
        if (t.ndim != 2 || t.size(0) < 1)
            throw new ArgumentException($"the {what} class embeddings must be a non-empty [K, D] matrix, got [{string.Join(", ", t.shape)}]");
        if (dim is { } d && t.size(1) != d)
            throw new ArgumentException($"the {what} class embeddings have {t.size(1)} dimensions but the training ones {d}");
    }
}
