using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;

namespace RegionClip.Tests.Proposals;

/// <summary>
/// Proposals of seeded random-weight RPNs against the PyTorch implementation of the same spec. Both
/// sides run single-threaded (libtorch's conv sums differ in the last bits between thread counts),
/// so on the same libtorch they agree exactly; the tolerances cover other builds.
/// </summary>
public sealed class ProposalParityTests : TorchTest
{
    // The bound: 1e-4 on logits; on boxes 1e-4 of the image extent (a box is an anchor of up
    // to 512 px moved by predicted deltas, so conv rounding reaches its corners scaled by the anchor).
    private const double Tol = 1e-4;

    private readonly RpnReference _ref;
    private readonly int _threads = torch.get_num_threads();

    public ProposalParityTests()
    {
        _ref = new RpnReference();
        torch.set_num_threads(1);
    }

    public override void Dispose()
    {
        torch.set_num_threads(_threads);
        _ref.Dispose();
        base.Dispose();
    }

    public static TheoryData<string> CaseKeys() =>
    [
        "C4_single", "C4_small", "C4_batch", "Fpn_single", "Fpn_small", "Fpn_batch", "FpnLsj_single", "FpnLsj_small", "FpnLsj_batch",
    ];

    [Theory]
    [MemberData(nameof(CaseKeys))]
    public void ProposalsMatchTheReference(string key)
    {
        var c = _ref.Cases.Single(x => x.Key == key);
        using var network = ProposalNetwork.Load(c.Path);
        Assert.Equal(c.Kind, network.Kind);
        var images = c.Images.Select(_ref.Image).ToList();
        var results = network.Propose(images, c.Options);
        try
        {
            Assert.Equal(c.Images.Length, results.Count);
            var extent = images.Max(im => Math.Max(im.size(0), im.size(1)));
            for (int i = 0; i < results.Count; i++)
                AssertSameProposals(_ref[$"{key}_boxes{i}"], _ref[$"{key}_logits{i}"], results[i], Tol * extent, $"{key} image {i}");
        }
        finally
        {
            foreach (var r in results) r.Dispose();
        }
    }

    [Fact]
    public void OneImageAloneEqualsTheSingleImageCase()
    {
        var c = _ref.Cases.Single(x => x.Key == "Fpn_single");
        using var network = ProposalNetwork.Load(c.Path);
        var image = _ref.Image(0);
        using var result = network.Propose(image, c.Options);
        AssertSameProposals(_ref["Fpn_single_boxes0"], _ref["Fpn_single_logits0"], result, Tol * Math.Max(image.size(0), image.size(1)), "Fpn_single");
    }

    [Fact]
    public void ProposalsAreSortedByRawLogitAndLieInsideTheImage()
    {
        var c = _ref.Cases.Single(x => x.Key == "C4_batch");
        using var network = ProposalNetwork.Load(c.Path);
        var results = network.Propose(c.Images.Select(_ref.Image).ToList(), ProposalOptions.ZeroShot(RpnKind.C4));
        try
        {
            for (int i = 0; i < results.Count; i++)
            {
                using var scope = torch.NewDisposeScope();
                var image = _ref.Image(c.Images[i]);
                var logits = results[i].Objectness.data<float>();
                Assert.True(logits.Zip(logits.Skip(1)).All(p => p.First >= p.Second), "logits must be in descending order");
                Assert.Contains(logits, v => v < 0);   // raw logits, not probabilities
                var b = results[i].Boxes;
                Assert.True(b.select(1, 0).ge(0).all().item<bool>() && b.select(1, 2).le(image.size(1)).all().item<bool>());
                Assert.True(b.select(1, 1).ge(0).all().item<bool>() && b.select(1, 3).le(image.size(0)).all().item<bool>());
                Assert.True((b.select(1, 2) - b.select(1, 0)).gt(0).all().item<bool>(), "empty boxes must be removed");
            }
        }
        finally
        {
            foreach (var r in results) r.Dispose();
        }
    }

    [Theory]
    [InlineData(RpnKind.C4)]
    [InlineData(RpnKind.FpnLsj)]
    public void TinyImagesGiveValidProposals(RpnKind kind)
    {
        using var network = ProposalNetwork.Load(RpnReference.FileOf(kind));
        using var scope = torch.NewDisposeScope();
        foreach (var (h, w) in new[] { (1, 1), (5, 3), (33, 17) })
        {
            var image = torch.full([h, w, 3], 128, ScalarType.UInt8);
            using var p = network.Propose(image, ProposalOptions.ZeroShot(kind));
            Assert.Equal([p.Count, 4], p.Boxes.shape);
            Assert.Equal([p.Count], p.Objectness.shape);
            Assert.True(p.Count > 0, $"{h}x{w}: no proposals");
            Assert.True(p.Boxes.select(1, 2).le(w).all().item<bool>() && p.Boxes.select(1, 3).le(h).all().item<bool>(), $"{h}x{w}: boxes leave the image");
        }
    }

    [Fact]
    public void ADetectionImageIsProposedOnItsResizedPixels()
    {
        using var network = ProposalNetwork.Load(RpnReference.FileOf(RpnKind.Fpn));
        using var image = DetectionImage.Prepare(_ref.Image(1), new(100, 160));
        using var viaImage = network.Propose(image, ProposalOptions.ZeroShot(RpnKind.Fpn));
        using var viaPixels = network.Propose(image.Resized, ProposalOptions.ZeroShot(RpnKind.Fpn));
        Assert.True(viaImage.Boxes.equal(viaPixels.Boxes) && viaImage.Objectness.equal(viaPixels.Objectness));
        Assert.Equal(new long[] { 147, 100, 3 }, image.Resized.shape);
    }

    /// <summary>
    /// Same count, and every reference proposal paired with a distinct one of ours whose logit is within
    /// <see cref="Tol"/> and whose corners are within <paramref name="boxTol"/>. Order is checked up to
    /// logits equal within the tolerance (their order is float noise); ours must be sorted.
    /// </summary>
    internal static void AssertSameProposals(Tensor expectedBoxes, Tensor expectedLogits, ProposalSet actual, double boxTol, string what)
    {
        Assert.Equal(ScalarType.Float32, actual.Boxes.dtype);
        Assert.Equal(ScalarType.Float32, actual.Objectness.dtype);
        Assert.True(expectedBoxes.size(0) == actual.Count, $"{what}: {actual.Count} proposals, expected {expectedBoxes.size(0)}");
        float[] eb = expectedBoxes.data<float>(), el = expectedLogits.data<float>();
        using var boxes = actual.Boxes.contiguous();
        float[] ab = boxes.data<float>(), al = actual.Objectness.data<float>();
        var used = new bool[al.Length];
        double worstBox = 0, worstLogit = 0;
        for (int i = 0; i < el.Length; i++)
        {
            int match = -1;
            // Candidates are near position i: only tied logits can move.
            for (int j = 0; j < al.Length && match < 0; j++)
            {
                if (used[j] || Math.Abs(al[j] - el[i]) > Tol) continue;
                double d = 0;
                for (int k = 0; k < 4; k++) d = Math.Max(d, Math.Abs(ab[4 * j + k] - eb[4 * i + k]));
                if (d <= boxTol)
                {
                    match = j;
                    worstBox = Math.Max(worstBox, d);
                    worstLogit = Math.Max(worstLogit, Math.Abs(al[j] - el[i]));
                }
            }
            Assert.True(match >= 0, $"{what}: reference proposal {i} (logit {el[i]}, box {eb[4 * i]}, {eb[4 * i + 1]}, {eb[4 * i + 2]}, {eb[4 * i + 3]}) has no counterpart");
            used[match] = true;
        }
        Assert.True(al.Zip(al.Skip(1)).All(p => p.First >= p.Second), $"{what}: proposals are not sorted by logit");
        Assert.True(worstBox <= boxTol && worstLogit <= Tol, $"{what}: worst box {worstBox:E2}, logit {worstLogit:E2}");
    }
}
