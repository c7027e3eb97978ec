using System.Globalization;

namespace RegionClip.Cli.Demo;

/// <summary>
/// The paper's two claims as the demo measures them — zero-shot region recognition (Table 4) and open-vocabulary
/// transfer (Table 1), CLIP teacher against RegionCLIP student — with the paper's own COCO RN50 numbers beside them.
/// </summary>
public static class DemoPaper
{
    public const string Clip = "CLIP";
    public const string RegionClip = "RegionCLIP";

    /// <summary>The paper's COCO RN50 AP50 (%): Table 4 zero-shot, all categories, by model and regions.</summary>
    public static IReadOnlyDictionary<(string Model, string Regions), double> PaperZeroShotAll { get; } = new Dictionary<(string, string), double>
    {
        [(Clip, "GT")] = 58.3, [(RegionClip, "GT")] = 61.4, [(Clip, "RPN")] = 19.6, [(RegionClip, "RPN")] = 26.8,
    };

    /// <summary>The paper's COCO RN50 open-vocabulary transfer AP50 (%), Table 1: novel, base, all (base and all not given for the CLIP init).</summary>
    public static IReadOnlyDictionary<string, (double Novel, double? Base, double? All)> PaperTransfer { get; } = new Dictionary<string, (double, double?, double?)>
    {
        [Clip] = (14.2, null, null), [RegionClip] = (31.4, 57.1, 50.4),
    };

    public sealed record ZeroShotRow(string Model, string Regions, double Ap50Novel, double Ap50Base, double Ap50All, double? Top1);

    public sealed record TransferRow(string Init, double Ap50Novel, double Ap50Base, double Ap50All);

    public static IReadOnlyList<ZeroShotRow> ZeroShot(DemoResult r) =>
    [
        new(Clip, "GT", r.Evaluation.GtMode.Ap50Novel, r.Evaluation.GtMode.Ap50Base, r.Evaluation.GtMode.Ap50All, r.Evaluation.Region.All),
        new(RegionClip, "GT", r.StudentEvaluation.GtMode.Ap50Novel, r.StudentEvaluation.GtMode.Ap50Base, r.StudentEvaluation.GtMode.Ap50All, r.StudentEvaluation.Region.All),
        new(Clip, "RPN", r.Evaluation.RpnMode!.Ap50Novel, r.Evaluation.RpnMode.Ap50Base, r.Evaluation.RpnMode.Ap50All, null),
        new(RegionClip, "RPN", r.StudentEvaluation.RpnMode!.Ap50Novel, r.StudentEvaluation.RpnMode.Ap50Base, r.StudentEvaluation.RpnMode.Ap50All, null),
    ];

    public static IReadOnlyList<TransferRow> Transfer(DemoResult r) => [.. r.Transfer.Select(t => new TransferRow(t.Init, t.Ap50Novel, t.Ap50Base, t.Ap50All))];

    /// <summary>The margins the demo is about: RegionCLIP − CLIP in points, on GT-box novel AP50, GT-box top-1 (all, and novel), transfer novel AP50.</summary>
    public static IReadOnlyList<(string What, double Points)> Margins(DemoResult r)
    {
        var z = ZeroShot(r);
        var t = Transfer(r);
        return
        [
            ("zero-shot GT-box novel AP50", 100 * (z[1].Ap50Novel - z[0].Ap50Novel)),
            ("zero-shot GT-box region top-1", 100 * (z[1].Top1!.Value - z[0].Top1!.Value)),
            ("novel region top-1", 100 * (r.StudentEvaluation.Region.Novel - r.Evaluation.Region.Novel)),
            ("transfer novel AP50", 100 * (t[1].Ap50Novel - t[0].Ap50Novel)),
        ];
    }

    /// <summary>One sentence on the outcome; a quick run says that its numbers are too small to compare.</summary>
    public static string Verdict(DemoResult r)
    {
        var m = Margins(r);
        var margins = string.Join(", ", m.Select(x => $"{x.What} {x.Points.ToString("+0.0;-0.0", CultureInfo.InvariantCulture)}"));
        if (r.Options.IsQuick)
            return $"Quick run: its worlds and schedules are too small to compare RegionCLIP with its teacher (the full demo does); RegionCLIP − CLIP: {margins} points.";
        return m.All(x => x.Points > 0)
            ? $"RegionCLIP beats its CLIP teacher: {margins} points."
            : $"RegionCLIP − CLIP: {margins} points (not every margin is positive in this run).";
    }

    /// <summary>report.json's "paper" section: fractions in [0, 1], top1 only where the regions are GT.</summary>
    public static object Json(DemoResult r)
    {
        static double? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
        return new Dictionary<string, object?>
        {
            ["zeroShot"] = ZeroShot(r).Select(z =>
            {
                var row = new Dictionary<string, object?>
                {
                    ["model"] = z.Model, ["regions"] = z.Regions, ["AP50_novel"] = N(z.Ap50Novel), ["AP50_base"] = N(z.Ap50Base), ["AP50_all"] = N(z.Ap50All),
                };
                if (z.Top1 is { } top1) row["top1"] = N(top1);
                return row;
            }).ToList(),
            ["transfer"] = Transfer(r).Select(t => new Dictionary<string, object?>
            {
                ["init"] = t.Init, ["AP50_novel"] = N(t.Ap50Novel), ["AP50_base"] = N(t.Ap50Base), ["AP50_all"] = N(t.Ap50All),
            }).ToList(),
            ["marginsInPoints"] = Margins(r).ToDictionary(m => m.What, m => N(m.Points)),
            ["comparable"] = !r.Options.IsQuick,
            ["paperCocoRn50"] = new Dictionary<string, object?>
            {
                ["zeroShotAP50_all"] = PaperZeroShotAll.Select(kv => new { model = kv.Key.Model, regions = kv.Key.Regions, AP50_all = kv.Value / 100 }).ToList(),
                ["transfer"] = PaperTransfer.Select(kv => new { init = kv.Key, AP50_novel = kv.Value.Novel / 100, AP50_base = kv.Value.Base / 100, AP50_all = kv.Value.All / 100 }).ToList(),
            },
        };
    }

    /// <summary>The zero-shot table's rows as text (model, regions, AP50 novel / base / all, top-1, the paper's AP50 all).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> ZeroShotTable(DemoResult r) => [.. ZeroShot(r).Select(z => (IReadOnlyList<string>)
        [z.Model, z.Regions, P(z.Ap50Novel), P(z.Ap50Base), P(z.Ap50All), z.Top1 is { } t ? P(t) : "", PaperZeroShotAll[(z.Model, z.Regions)].ToString("F1", CultureInfo.InvariantCulture)])];

    /// <summary>The transfer table's rows as text (init, AP50 novel / base / all, the paper's novel / base / all).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> TransferTable(DemoResult r) => [.. Transfer(r).Select(t =>
    {
        var p = PaperTransfer[t.Init];
        static string O(double? v) => v is { } x ? x.ToString("F1", CultureInfo.InvariantCulture) : "–";
        return (IReadOnlyList<string>)[t.Init, P(t.Ap50Novel), P(t.Ap50Base), P(t.Ap50All), $"{O(p.Novel)} / {O(p.Base)} / {O(p.All)}"];
    })];

    public static readonly string[] ZeroShotHeader = ["model", "regions", "AP50 novel", "AP50 base", "AP50 all", "region top-1", "paper AP50 all (COCO)"];
    public static readonly string[] TransferHeader = ["init", "AP50 novel", "AP50 base", "AP50 all", "paper novel / base / all (COCO)"];

    private static string P(double v) => double.IsFinite(v) ? (100 * v).ToString("F1", CultureInfo.InvariantCulture) : "–";
}
