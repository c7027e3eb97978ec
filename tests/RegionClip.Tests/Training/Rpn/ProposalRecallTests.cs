using RegionClip.Evaluation;
using RegionClip.Structures;

namespace RegionClip.Tests.Training.Rpn;

/// <summary>Proposal recall (detectron2's greedy one-to-one pairing) on hand-made boxes whose answers follow from the definition.</summary>
public sealed class ProposalRecallTests : TorchTest
{
    private static Tensor Boxes(params float[][] rows) => torch.tensor(rows.SelectMany(r => r).ToArray(), rows.Length, 4);

    [Fact]
    public void RecallCountsBoxesCoveredAtTheThresholdByTheTopKProposals()
    {
        // Box A [0,0,10,10] (base), box B [20,0,30,10] (novel), box C [0,20,10,30] (base).
        double[][] gt = [[0, 0, 10, 10], [20, 0, 30, 10], [0, 20, 10, 30]];
        bool[] novel = [false, true, false];
        // Proposal 1 = A exactly; 2 = the top half of B (inter 50, union 100: IoU exactly 0.5);
        // 3 = C shifted by 6 px (inter 40, union 160: IoU 0.25).
        using var proposals = Boxes([0, 0, 10, 10], [20, 0, 30, 5], [6, 20, 16, 30]);
        var acc = new ProposalRecallAccumulator([1, 2, 3], 0.5);
        acc.Add(proposals, gt, novel);
        var r = acc.Result();
        Assert.Equal(1, r.Images);
        Assert.Equal(new RecallCount(1, 3), r.At(1).All);        // only A with the best proposal
        Assert.Equal(new RecallCount(2, 3), r.At(2).All);        // A and B (IoU exactly 0.5 counts)
        Assert.Equal(new RecallCount(1, 1), r.At(2).Novel);
        Assert.Equal(new RecallCount(1, 2), r.At(3).Base);       // C's best is 0.25
        Assert.Equal(2.0 / 3, r.At(3).All.Recall, 12);
    }

    [Fact]
    public void OneProposalServesOneBoxOnly()
    {
        // Two identical boxes and one proposal equal to both: greedy pairing gives it to one of them.
        double[][] gt = [[0, 0, 10, 10], [0, 0, 10, 10]];
        using var one = Boxes([0, 0, 10, 10]);
        using var two = Boxes([0, 0, 10, 10], [0, 0, 10, 10]);
        var acc = new ProposalRecallAccumulator([100], 0.5);
        acc.Add(one, gt, [false, false]);
        acc.Add(two, gt, [false, false]);
        Assert.Equal(new RecallCount(3, 4), acc.Result().At(100).All);
    }

    [Fact]
    public void GreedyPairingTakesTheBestCoveredBoxFirst()
    {
        // P covers A at 1.0 and B at 0.6; Q covers B at 0.55 only. Greedy: A–P first (1.0), then B–Q (0.55):
        // both found at 0.5. At threshold 0.58 B is lost even though P alone would cover it at 0.6.
        double[][] gt = [[0, 0, 10, 10], [0, 0, 10, 6]];
        using var proposals = Boxes([0, 0, 10, 10], [0, 0, 10, 3.3f]);
        var low = new ProposalRecallAccumulator([2], 0.5);
        low.Add(proposals, gt, [false, true]);
        Assert.Equal(new RecallCount(2, 2), low.Result().At(2).All);
        var high = new ProposalRecallAccumulator([2], 0.58);
        high.Add(proposals, gt, [false, true]);
        Assert.Equal(new RecallCount(1, 2), high.Result().At(2).All);
        Assert.Equal(new RecallCount(0, 1), high.Result().At(2).Novel);
    }

    [Fact]
    public void ImagesWithoutBoxesOrProposalsAreCountedRight()
    {
        var acc = new ProposalRecallAccumulator([10], 0.5);
        using var none = torch.zeros(0, 4);
        acc.Add(none, [[0, 0, 5, 5]], [true]);
        acc.Add(none, [], []);
        var r = acc.Result();
        Assert.Equal(2, r.Images);
        Assert.Equal(new RecallCount(0, 1), r.At(10).Novel);
        Assert.True(double.IsNaN(r.At(10).Base.Recall));
        Assert.Throws<KeyNotFoundException>(() => r.At(5));
    }
}
