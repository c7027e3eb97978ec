using RegionClip.Training.Pretraining;

namespace RegionClip.Tests.Training.Pretraining;

/// <summary>The teacher's pseudo labels and the two region–concept losses against the formulas written out by hand.</summary>
public sealed class RegionConceptLossesTests : TorchTest
{
    // 4 regions, 3 concepts in 3-D; region 3 sits between all concepts, so its teacher distribution is flat.
    private static readonly double[,] Regions = { { 1.0, 0.1, 0.0 }, { 0.0, 1.0, 0.2 }, { 0.9, 0.0, 0.3 }, { 1.0, 1.0, 1.0 } };
    private static readonly double[,] Concepts = { { 1.0, 0.0, 0.0 }, { 0.0, 1.0, 0.0 }, { 0.0, 0.0, 1.0 } };

    [Fact]
    public void LabelsKeepConfidentRegionsWithTheirTopConcept()
    {
        using var scope = torch.NewDisposeScope();
        using var labels = RegionConceptLosses.Label(torch.tensor(Regions), torch.tensor(Concepts), threshold: 0.5, temperature: 0.1);
        var p = Softmax(Cosines(Regions, Concepts), 0.1);
        var expectedKeep = Enumerable.Range(0, 4).Select(r => Row(p, r).Max() > 0.5).ToArray();
        Assert.Equal([true, true, true, false], expectedKeep);   // the flat region is dropped
        Assert.Equal(expectedKeep, labels.Keep.data<bool>());
        Assert.False(labels.NonePassed);
        Assert.Equal([0L, 1L, 0L], labels.Targets.data<long>());
        var kept = labels.Probabilities.data<double>();
        for (int r = 0, k = 0; r < 4; r++)
        {
            if (!expectedKeep[r]) continue;
            for (int c = 0; c < 3; c++) Assert.Equal(p[r, c], kept[3 * k + c], 12);
            k++;
        }
    }

    [Fact]
    public void WhenNoRegionPassesEveryRegionIsKept()
    {
        using var scope = torch.NewDisposeScope();
        using var labels = RegionConceptLosses.Label(torch.tensor(Regions), torch.tensor(Concepts), threshold: 0.99, temperature: 1.0);
        Assert.True(labels.NonePassed);
        Assert.Equal(4, labels.Kept);
        Assert.All(labels.Keep.data<bool>(), Assert.True);
    }

    [Fact]
    public void DistillationIsBatchMeanKlOfTeacherToStudent()
    {
        using var scope = torch.NewDisposeScope();
        var teacher = Softmax(Cosines(Regions, Concepts), 0.05);
        var student = new double[,] { { 0.5, 0.5, 0.1 }, { 0.2, 1.0, -0.3 }, { 1.0, -0.2, 0.4 }, { 0.3, 0.3, 0.9 } };
        var q = Softmax(Cosines(student, Concepts), 0.1);
        double expected = 0;
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 3; c++) expected += teacher[r, c] * (Math.Log(teacher[r, c]) - Math.Log(q[r, c]));
        expected /= 4;
        var loss = RegionConceptLosses.Distillation(torch.tensor(student), torch.tensor(Concepts), torch.tensor(teacher), 0.1);
        Assert.Equal(expected, loss.item<double>(), 10);
    }

    [Fact]
    public void DistillationStaysFiniteWhereTheOfficialLogOfSoftmaxUnderflows()
    {
        // At temperature 0.01 a region aligned with concept 0 and opposite to concept 1 has logits 100 and −100: in float32
        // softmax gives exactly 0 for concept 1, so log(softmax) is −inf and the official loss is inf (NaN once P is 0 too).
        using var scope = torch.NewDisposeScope();
        var concepts = torch.tensor(new float[] { 1, 0, -1, 0, 0, 1 }, 3, 2);
        var student = torch.tensor(new float[] { 1, 0 }, 1, 2);
        var teacher = torch.tensor(new float[] { 0.5f, 0.25f, 0.25f }, 1, 3);
        using (var official = Torch.nn.functional.softmax(student.matmul(concepts.t()) / 0.01, 1).log())
            Assert.True(float.IsNegativeInfinity(official.data<float>()[1]));
        var loss = RegionConceptLosses.Distillation(student, concepts, teacher, 0.01).item<double>();
        Assert.True(double.IsFinite(loss));
        // By hand in float64: log q = logits − logsumexp(logits), logits (100, −100, 0).
        double lse = 100 + Math.Log(1 + Math.Exp(-200) + Math.Exp(-100));
        double expected = 0.5 * (Math.Log(0.5) - (100 - lse)) + 0.25 * (Math.Log(0.25) - (-100 - lse)) + 0.25 * (Math.Log(0.25) - (0 - lse));
        Assert.Equal(expected, loss, 3);
        // A teacher probability of exactly 0 contributes nothing (0 · log 0 = 0), not NaN.
        var zeroTarget = torch.tensor(new float[] { 1f, 0f, 0f }, 1, 3);
        Assert.Equal(0.0, RegionConceptLosses.Distillation(student, concepts, zeroTarget, 0.01).item<double>(), 4);
    }

    [Fact]
    public void ConceptContrastiveSumsThePositivesProbabilities()
    {
        using var scope = torch.NewDisposeScope();
        var student = new double[,] { { 0.5, 0.5, 0.1 }, { 0.2, 1.0, -0.3 }, { 1.0, -0.2, 0.4 }, { 0.3, 0.3, 0.9 } };
        long[] targets = [0, 1, 0, 2];
        var e = new double[4, 3];
        for (int j = 0; j < 4; j++) for (int d = 0; d < 3; d++) e[j, d] = Concepts[targets[j], d];
        var m = Cosines(student, e);
        double expected = 0;
        for (int r = 0; r < 4; r++)
        {
            var row = Enumerable.Range(0, 4).Select(j => m[r, j] / 0.1).ToArray();
            double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max));
            double positive = Enumerable.Range(0, 4).Where(j => targets[j] == targets[r]).Sum(j => Math.Exp(row[j] - max) / sum);
            expected += -Math.Log(positive);
        }
        expected /= 4;
        var loss = RegionConceptLosses.ConceptContrastive(torch.tensor(student), torch.tensor(Concepts), torch.tensor(targets), 0.1);
        Assert.Equal(expected, loss.item<double>(), 10);
    }

    [Fact]
    public void ConceptContrastiveStaysFiniteWhenEveryPositiveUnderflows()
    {
        // Region 0 is opposite to its own concept and aligned with region 1's: its positive's probability is e^-200 → 0 in float32.
        using var scope = torch.NewDisposeScope();
        var concepts = torch.tensor(new float[] { 1, 0, -1, 0 }, 2, 2);
        var student = torch.tensor(new float[] { -1, 0, -1, 0 }, 2, 2);
        var loss = RegionConceptLosses.ConceptContrastive(student, concepts, torch.tensor(new long[] { 0, 1 }), 0.01).item<double>();
        Assert.True(double.IsFinite(loss));
        Assert.Equal(100.0, loss, 3);   // row 0: −log e^{−200} = 200, row 1: ≈ 0
    }

    [Fact]
    public void RejectsConceptsOfAnotherWidth()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => RegionConceptLosses.Label(torch.zeros(4, 16), torch.zeros(10, 8), 0.1, 0.01));
        Assert.Contains("[4, 16]", e.Message);
        Assert.Contains("[10, 8]", e.Message);
    }

    private static double[,] Cosines(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = b.GetLength(0), d = a.GetLength(1);
        var result = new double[n, k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
            {
                double dot = 0, na = 0, nb = 0;
                for (int x = 0; x < d; x++) { dot += a[i, x] * b[j, x]; na += a[i, x] * a[i, x]; nb += b[j, x] * b[j, x]; }
                result[i, j] = dot / Math.Sqrt(na) / Math.Sqrt(nb);
            }
        return result;
    }

    private static double[,] Softmax(double[,] logits, double temperature)
    {
        int n = logits.GetLength(0), k = logits.GetLength(1);
        var p = new double[n, k];
        for (int i = 0; i < n; i++)
        {
            var row = Row(logits, i).Select(x => x / temperature).ToArray();
            double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max));
            for (int j = 0; j < k; j++) p[i, j] = Math.Exp(row[j] - max) / sum;
        }
        return p;
    }

    private static double[] Row(double[,] m, int r) => Enumerable.Range(0, m.GetLength(1)).Select(c => m[r, c]).ToArray();
}
