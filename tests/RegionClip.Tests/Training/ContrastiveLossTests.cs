using RegionClip.Training;

namespace RegionClip.Tests.Training;

/// <summary>The image–text contrastive loss against PyTorch and against the formula written out by hand.</summary>
public sealed class ContrastiveLossTests : TorchTest
{
    private static readonly double[,] Image = { { 1.0, 2.0, 0.5, -1.0 }, { 0.0, -1.0, 3.0, 0.5 }, { 2.0, 0.0, -0.5, 1.5 } };
    private static readonly double[,] Text = { { 0.5, 1.0, 0.0, -0.5 }, { 1.0, -2.0, 1.0, 0.0 }, { -1.0, 0.5, 0.5, 2.0 } };

    [Fact]
    public void MatchesPyTorchLossAndScaleGradient()
    {
        // /usr/bin/python3 (torch 1.13), float64:
        //   g = img / img.norm(dim=1, keepdim=True); t = txt / txt.norm(dim=1, keepdim=True); L = s * g @ t.T
        //   loss = (F.cross_entropy(L, arange(3)) + F.cross_entropy(L.T, arange(3))) / 2;  s = 10 (requires_grad)
        //   → loss 0.5398963877622336, d loss / d s 0.02747853186717268
        using var scope = torch.NewDisposeScope();
        var scale = torch.scalar_tensor(10.0, ScalarType.Float64).requires_grad_();
        var loss = ContrastiveLoss.ImageText(torch.tensor(Image), torch.tensor(Text), scale);
        loss.backward();
        Assert.Equal(0.5398963877622336, loss.item<double>(), 12);
        Assert.Equal(0.02747853186717268, scale.grad!.item<double>(), 12);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(14.285714)]
    [InlineData(100.0)]
    public void MatchesTheFormulaByHand(double scale)
    {
        using var scope = torch.NewDisposeScope();
        var loss = ContrastiveLoss.ImageText(torch.tensor(Image), torch.tensor(Text), torch.scalar_tensor(scale, ScalarType.Float64)).item<double>();
        Assert.Equal(ByHand(Image, Text, scale), loss, 10);
    }

    [Fact]
    public void IsSymmetricInImageAndTextAndFallsWhenPairsAlign()
    {
        using var scope = torch.NewDisposeScope();
        var (img, txt) = (torch.tensor(Image), torch.tensor(Text));
        var a = ContrastiveLoss.ImageText(img, txt, 10.0).item<double>();
        var b = ContrastiveLoss.ImageText(txt, img, 10.0).item<double>();
        Assert.Equal(a, b, 12);
        // Identical embeddings: the diagonal is the largest entry of every row and column.
        Assert.True(ContrastiveLoss.ImageText(img, img, 10.0).item<double>() < a);
        // Scaling a row does not change a cosine loss.
        Assert.Equal(a, ContrastiveLoss.ImageText(img * 3.0, txt * 0.25, 10.0).item<double>(), 12);
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => ContrastiveLoss.ImageText(torch.zeros(3, 4), torch.zeros(2, 4), 10.0));
        Assert.Contains("[3, 4]", e.Message);
        Assert.Contains("[2, 4]", e.Message);
        Assert.Throws<ArgumentException>(() => ContrastiveLoss.ImageText(torch.zeros(3, 4), torch.zeros(3, 4), torch.ones(2)));
    }

    /// <summary>½·(CE over rows + CE over columns) of s·cos(img_i, txt_j), in plain doubles.</summary>
    private static double ByHand(double[,] img, double[,] txt, double s)
    {
        int n = img.GetLength(0), d = img.GetLength(1);
        var logits = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0, ni = 0, nj = 0;
                for (int k = 0; k < d; k++) { dot += img[i, k] * txt[j, k]; ni += img[i, k] * img[i, k]; nj += txt[j, k] * txt[j, k]; }
                logits[i, j] = s * dot / (Math.Sqrt(ni) * Math.Sqrt(nj));
            }
        double rows = 0, cols = 0;
        for (int i = 0; i < n; i++)
        {
            double sr = 0, sc = 0;
            for (int j = 0; j < n; j++) { sr += Math.Exp(logits[i, j]); sc += Math.Exp(logits[j, i]); }
            rows += Math.Log(sr) - logits[i, i];
            cols += Math.Log(sc) - logits[i, i];
        }
        return (rows / n + cols / n) / 2;
    }
}
