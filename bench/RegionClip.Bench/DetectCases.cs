using System.Diagnostics;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Bench;

/// <summary>
/// The whole zero-shot detection of one 800×1216 image (RPN mode, LVIS zero-shot settings),
/// mirroring tools/bench/detect_reference.py: CLIP RN50 shapes, a random R50-FPN offline RPN
/// (1,000 proposals at NMS 0.9), 1,203 precomputed concepts, fusion with the raw objectness,
/// per-class NMS 0.5, score > 0.02, top 300. The timed call is <see cref="ZeroShotDetector.Detect(DetectionImage, Tensor?, ConceptPool?)"/>
/// with a <see cref="ProposalNetwork"/> as `detect --rpn` runs it; a second, staged pass runs the
/// same library pieces one by one to split the time.
/// </summary>
internal static class DetectCases
{
    /// <summary>LVIS zero-shot (`*_zsinf.yaml`): 0.02, NMS 0.5, 300 per image, MULTIPLY_RPN_SCORE with the raw logit.</summary>
    internal static DetectionOptions Options { get; } = DetectionOptions.Lvis with { ScoreThreshold = 0.02, Fusion = ScoreFusion.Reference };

    /// <summary>Stage names shared with the Python side (case names are "detect_" + stage).</summary>
    internal static readonly string[] Stages = ["prepare", "rpn", "regions", "classify"];

    public static List<CaseResult> Run(string dataDir, bool quick, out DetectParity parity)
    {
        using var model = RegionClipModel.Load(Path.Combine(dataDir, "clip_rn50.pt"));
        using var rpn = ProposalNetwork.Load(Path.Combine(dataDir, "detect_rpn.pth"));
        var io = CSharpSide.LoadTensors(Path.Combine(dataDir, "detect_io.pt"));
        try
        {
            using var concepts = ConceptPool.FromEmbeddings(io["concepts"].alias());
            var detector = new ZeroShotDetector(model, concepts, Options) { Proposer = rpn };
            var rgb = io["image"];

            // The first whole pass doubles as the warm-up; its detections are the parity check.
            var first = Whole(detector, rgb);
            int wholeRepeats = quick ? 1 : 3, stagedRepeats = quick ? 1 : 2;
            var total = new double[wholeRepeats];
            var faults = new double[wholeRepeats];
            var cpu = new double[wholeRepeats];
            using var process = Process.GetCurrentProcess();
            double CpuMs()
            {
                process.Refresh();
                return process.TotalProcessorTime.TotalMilliseconds;
            }
            for (int r = 0; r < wholeRepeats; r++)
            {
                var f0 = SystemLoad.MinorFaults();
                var c0 = CpuMs();
                long t0 = Stopwatch.GetTimestamp();
                Whole(detector, rgb);
                total[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                cpu[r] = CpuMs() - c0;
                faults[r] = SystemLoad.MinorFaults() - f0;
            }
            var stages = Stages.ToDictionary(s => s, _ => new double[stagedRepeats]);
            ProposalSnapshot? proposals = null;
            for (int r = 0; r < stagedRepeats; r++)
            {
                var p = Staged(detector, rgb, stages, r);
                proposals ??= p;
            }
            parity = DetectParity.Compare(io, proposals!, first);
            Console.WriteLine($"parity detect: {parity.Describe()}");

            var cases = new List<CaseResult> { Case("detect_image", total) with { Faults = faults, CpuMs = cpu } };
            cases.AddRange(Stages.Select(s => Case("detect_" + s, stages[s])));
            return cases;
        }
        finally
        {
            foreach (var t in io.Values) t.Dispose();
        }
    }

    /// <summary>One image end to end through the public API, everything it made freed before returning.</summary>
    private static IReadOnlyList<Detection> Whole(ZeroShotDetector detector, Tensor rgb)
    {
        using var scope = torch.NewDisposeScope();
        using var image = DetectionImage.Prepare(rgb);
        return detector.Detect(image);
    }

    /// <summary>The body of <see cref="ZeroShotDetector.Detect(IReadOnlyList{DetectionImage}, GivenRegions?, ConceptPool?)"/> for one image, stage by stage.</summary>
    private static ProposalSnapshot Staged(ZeroShotDetector detector, Tensor rgb, Dictionary<string, double[]> ms, int round)
    {
        using var scope = torch.NewDisposeScope();
        long t = Stopwatch.GetTimestamp();
        void Lap(string stage)
        {
            var now = Stopwatch.GetTimestamp();
            ms[stage][round] = Stopwatch.GetElapsedTime(t, now).TotalMilliseconds;
            t = now;
        }

        using var image = DetectionImage.Prepare(rgb);
        Lap("prepare");
        var rpn = detector.Proposer!;
        using var proposals = rpn.Propose(image, detector.ProposalOptions ?? ProposalOptions.ZeroShot(rpn.Kind));
        Lap("rpn");
        var features = detector.Model.EncodeRegions(image, proposals.Boxes);
        Lap("regions");
        var probs = RegionClassifier.Probabilities(features, detector.Concepts.Embeddings);
        using var kept = Postprocess.Run(proposals.Boxes, probs, proposals.Objectness, image.Height, image.Width, detector.Options);
        ZeroShotDetector.ToDetections(image, kept, detector.Concepts);
        Lap("classify");
        return new ProposalSnapshot(proposals.Boxes.data<float>(), proposals.Objectness.data<float>());
    }

    private static CaseResult Case(string name, double[] samples) => new(name, "ms", Stats.Median(samples), samples.Min(), samples);
}

/// <summary>One image's proposals as plain arrays (boxes flattened x1, y1, x2, y2).</summary>
internal sealed record ProposalSnapshot(float[] Boxes, float[] Logits);

/// <summary>
/// How C#'s proposals and detections compare with the PyTorch reference's (computed at prepare time,
/// same thread count). Both are matched, not compared by rank, because near-equal scores may swap
/// places (between thread counts, conv sums differ in the last bits): a reference proposal counts as
/// matched when an unused C# proposal has a logit within 1e-4 and a box within 1e-4 of the image
/// extent; a reference detection (of the top 100) when an unused C# detection has the same class, a box
/// within that tolerance and a score within 1e-4 (relative above 1). Max differences are over matches.
/// </summary>
internal sealed record DetectParity(
    int ProposalsReference, int Proposals, int ProposalsMatched, double? ProposalBoxMaxDiff, double? ProposalLogitMaxDiff,
    int DetectionsReference, int Detections, int Compared, int Matched, double? BoxMaxDiff, double? ScoreMaxDiff, double MaxScoreReference)
{
    /// <summary>Top reference detections checked for a match.</summary>
    public const int Top = 100;

    internal static DetectParity Compare(Dictionary<string, Tensor> reference, ProposalSnapshot proposals, IReadOnlyList<Detection> detections)
    {
        var image = reference["image"];
        double boxTol = 1e-4 * Math.Max(image.size(0), image.size(1));
        var refBoxes = reference["proposal_boxes"].data<float>();
        var refLogits = reference["proposal_logits"].data<float>();
        var refProposals = Enumerable.Range(0, refLogits.Length).Select(i => (Box: BoxAt(refBoxes, i), Score: refLogits[i], Class: 0L)).ToList();
        var ownProposals = Enumerable.Range(0, proposals.Logits.Length).Select(i => (Box: BoxAt(proposals.Boxes, i), Score: proposals.Logits[i], Class: 0L)).ToList();
        var (proposalsMatched, pBox, pLogit) = Match(refProposals, ownProposals, boxTol, _ => 1e-4);

        var detBoxes = reference["det_boxes"].data<float>();
        var detScores = reference["det_scores"].data<float>();
        var detClasses = reference["det_classes"].data<long>();
        int compared = Math.Min(Top, detScores.Length);
        var refDets = Enumerable.Range(0, compared).Select(i => (Box: BoxAt(detBoxes, i), Score: detScores[i], Class: detClasses[i])).ToList();
        var ownDets = detections.Select(d => (d.Box, d.Score, Class: (long)d.Concept)).ToList();
        var (matched, box, score) = Match(refDets, ownDets, boxTol, s => 1e-4 * Math.Max(1, Math.Abs(s)));
        return new DetectParity(refLogits.Length, proposals.Logits.Length, proposalsMatched, pBox, pLogit,
            detScores.Length, detections.Count, compared, matched, box, score, detScores.Length > 0 ? detScores.Max() : 0);
    }

    /// <summary>Greedy matching in reference order (the same rank tried first); max differences over the matches.</summary>
    private static (int matched, double? box, double? score) Match(
        List<(Box Box, float Score, long Class)> expected, List<(Box Box, float Score, long Class)> actual, double boxTol, Func<double, double> scoreTol)
    {
        var used = new bool[actual.Count];
        int matched = 0;
        double maxBox = 0, maxScore = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            foreach (var j in Enumerable.Range(0, actual.Count).Prepend(i).Where(j => j < actual.Count))
            {
                var a = actual[j];
                if (used[j] || a.Class != e.Class) continue;
                double box = BoxDiff(e.Box, a.Box), score = Math.Abs((double)a.Score - e.Score);
                if (box > boxTol || score > scoreTol(e.Score)) continue;
                used[j] = true;
                matched++;
                (maxBox, maxScore) = (Math.Max(maxBox, box), Math.Max(maxScore, score));
                break;
            }
        }
        return matched > 0 ? (matched, maxBox, maxScore) : (0, null, null);
    }

    private static Box BoxAt(float[] flat, int i) => new(flat[4 * i], flat[4 * i + 1], flat[4 * i + 2], flat[4 * i + 3]);

    internal string Describe() => FormattableString.Invariant(
        $"proposals {Proposals}/{ProposalsReference}, matched {ProposalsMatched} (max |Δbox| {Fmt(ProposalBoxMaxDiff)}, |Δlogit| {Fmt(ProposalLogitMaxDiff)}); detections {Detections}/{DetectionsReference}, top {Compared} matched {Matched} (max |Δbox| {Fmt(BoxMaxDiff)}, |Δscore| {Fmt(ScoreMaxDiff)}, max score {MaxScoreReference:F3})");

    private static string Fmt(double? v) => v is null ? "n/a" : v.Value.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);

    private static double BoxDiff(Box a, Box b) =>
        Math.Max(Math.Max(Math.Abs(a.X1 - b.X1), Math.Abs(a.Y1 - b.Y1)), Math.Max(Math.Abs(a.X2 - b.X2), Math.Abs(a.Y2 - b.Y2)));
}
