using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RegionClip.Training.Rpn;

/// <summary>One optimisation step as logged (losses before the update).</summary>
public sealed record RpnStepRecord(long Step, int Epoch, double ObjectnessLoss, double BoxLoss, double Loss, double LearningRate, double ImagesPerSecond, double Seconds);

/// <summary>One recall evaluation during or after training.</summary>
public sealed record RpnEvaluationRecord(long Step, ProposalRecall Recall, double Seconds);

/// <summary>
/// The per-step CSV log (step, epoch, objectness_loss, box_loss, loss, learning_rate,
/// images_per_second, seconds). On resume, rows after the checkpoint's step (work redone after the
/// interruption) are dropped, so the file always describes one run. <see cref="WriteJson"/> writes
/// the same steps and the recall evaluations as JSON.
/// </summary>
public sealed class RpnTrainingLog : IDisposable
{
    public const string Header = "step,epoch,objectness_loss,box_loss,loss,learning_rate,images_per_second,seconds";
    private readonly StreamWriter _writer;

    private RpnTrainingLog(string path, StreamWriter writer)
    {
        Path = path;
        _writer = writer;
    }

    public string Path { get; }

    /// <summary>Opens the log, keeping the rows up to <paramref name="keepThroughStep"/> (0: a new run).</summary>
    public static RpnTrainingLog Open(string path, long keepThroughStep)
    {
        var kept = keepThroughStep > 0 && File.Exists(path) ? Read(path).Where(r => r.Step <= keepThroughStep).ToList() : [];
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp, append: false))
        {
            w.WriteLine(Header);
            foreach (var r in kept) w.WriteLine(Format(r));
        }
        File.Move(tmp, path, overwrite: true);
        return new RpnTrainingLog(path, new StreamWriter(path, append: true) { AutoFlush = true });
    }

    public void Append(RpnStepRecord r) => _writer.WriteLine(Format(r));

    public static IReadOnlyList<RpnStepRecord> Read(string path)
    {
        var rows = new List<RpnStepRecord>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (line == 1 || text.Length == 0) continue;
            var f = text.Split(',');
            try
            {
                if (f.Length != 8) throw new FormatException($"{f.Length} fields instead of 8");
                rows.Add(new RpnStepRecord(long.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
                    Num(f[2]), Num(f[3]), Num(f[4]), Num(f[5]), Num(f[6]), Num(f[7])));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}:{line}: not an RPN training-log row ({e.Message}): '{text}'", e);
            }
        }
        return rows;
    }

    /// <summary>Writes {"steps": [...], "evaluations": [...]} atomically.</summary>
    public static void WriteJson(string path, IReadOnlyList<RpnStepRecord> steps, IReadOnlyList<RpnEvaluationRecord> evaluations)
    {
        var root = new JsonObject
        {
            ["steps"] = new JsonArray(steps.Select(s => (JsonNode)new JsonObject
            {
                ["step"] = s.Step, ["epoch"] = s.Epoch, ["objectness_loss"] = Finite(s.ObjectnessLoss), ["box_loss"] = Finite(s.BoxLoss),
                ["loss"] = Finite(s.Loss), ["learning_rate"] = s.LearningRate, ["images_per_second"] = Math.Round(s.ImagesPerSecond, 2),
                ["seconds"] = Math.Round(s.Seconds, 3),
            }).ToArray()),
            ["evaluations"] = new JsonArray(evaluations.Select(e => (JsonNode)new JsonObject
            {
                ["step"] = e.Step, ["seconds"] = Math.Round(e.Seconds, 3), ["recall"] = RecallJson(e.Recall),
            }).ToArray()),
        };
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The evaluations recorded in a JSON log (none when the file is absent).</summary>
    public static List<RpnEvaluationRecord> ReadEvaluations(string path)
    {
        if (!File.Exists(path)) return [];
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path));
            return (root?["evaluations"]?.AsArray() ?? []).Select(e => new RpnEvaluationRecord(
                e!["step"]!.GetValue<long>(), RecallFromJson(e["recall"]!), e["seconds"]!.GetValue<double>())).ToList();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"'{path}' is not an RPN JSON log: {e.Message}", e);
        }
    }

    /// <summary>{"images", "iou", "at": [{"k", "all": {"found", "total", "recall"}, "base": …, "novel": …}]}.</summary>
    public static JsonObject RecallJson(ProposalRecall r)
    {
        static JsonObject Count(RecallCount c) => new() { ["found"] = c.Found, ["total"] = c.Total, ["recall"] = Finite(c.Recall) };
        return new JsonObject
        {
            ["images"] = r.Images, ["iou"] = r.Iou,
            ["at"] = new JsonArray(r.AtK.Select(a => (JsonNode)new JsonObject
            {
                ["k"] = a.K, ["all"] = Count(a.All), ["base"] = Count(a.Base), ["novel"] = Count(a.Novel),
            }).ToArray()),
        };
    }

    private static ProposalRecall RecallFromJson(JsonNode n)
    {
        static RecallCount Count(JsonNode c) => new(c["found"]!.GetValue<int>(), c["total"]!.GetValue<int>());
        return new ProposalRecall(n["images"]!.GetValue<int>(), n["iou"]!.GetValue<double>(),
            n["at"]!.AsArray().Select(a => new RecallAtK(a!["k"]!.GetValue<int>(), Count(a["all"]!), Count(a["base"]!), Count(a["novel"]!))).ToArray());
    }

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    private static double Num(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Format(RpnStepRecord r) => string.Join(',',
        r.Step.ToString(CultureInfo.InvariantCulture), r.Epoch.ToString(CultureInfo.InvariantCulture),
        r.ObjectnessLoss.ToString("R", CultureInfo.InvariantCulture), r.BoxLoss.ToString("R", CultureInfo.InvariantCulture),
        r.Loss.ToString("R", CultureInfo.InvariantCulture), r.LearningRate.ToString("R", CultureInfo.InvariantCulture),
        r.ImagesPerSecond.ToString("F2", CultureInfo.InvariantCulture), r.Seconds.ToString("F3", CultureInfo.InvariantCulture));

    public void Dispose() => _writer.Dispose();
}
