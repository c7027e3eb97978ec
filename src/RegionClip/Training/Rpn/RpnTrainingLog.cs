using System.Text.Json;
using System.Text.Json.Nodes;
using RegionClip.Common;
using RegionClip.Evaluation;
using RegionClip.Training.Engine;

namespace RegionClip.Training.Rpn;

/// <summary>One optimisation step as logged (losses before the update).</summary>
public sealed record RpnStepRecord(long Step, int Epoch, double ObjectnessLoss, double BoxLoss, double Loss, double LearningRate, double ImagesPerSecond, double Seconds);

/// <summary>One recall evaluation during or after training.</summary>
public sealed record RpnEvaluationRecord(long Step, ProposalRecall Recall, double Seconds);

/// <summary>
/// The per-step CSV log (step, epoch, objectness_loss, box_loss, loss, learning_rate,
/// images_per_second, seconds); on resume it keeps the rows up to the checkpoint's step
/// (<see cref="CsvLog"/>). <see cref="WriteJson"/> writes
/// the same steps and the recall evaluations as JSON.
/// </summary>
public static class RpnTrainingLog
{
    public static StepLogFormat<RpnStepRecord> Format { get; } = new(
        "step,epoch,objectness_loss,box_loss,loss,learning_rate,images_per_second,seconds", 8, "an RPN training-log",
        f => new RpnStepRecord(CsvLog.Long(f[0]), CsvLog.Int(f[1]), CsvLog.Num(f[2]), CsvLog.Num(f[3]), CsvLog.Num(f[4]), CsvLog.Num(f[5]), CsvLog.Num(f[6]), CsvLog.Num(f[7])),
        r => string.Join(',', CsvLog.Text(r.Step), CsvLog.Text(r.Epoch), CsvLog.Exact(r.ObjectnessLoss), CsvLog.Exact(r.BoxLoss), CsvLog.Exact(r.Loss),
            CsvLog.Exact(r.LearningRate), CsvLog.Fixed(r.ImagesPerSecond, 2), CsvLog.Fixed(r.Seconds, 3)),
        r => r.Step);

    /// <summary>Opens the log, keeping the rows up to <paramref name="keepThroughStep"/> (0: a new run).</summary>
    public static StepLog<RpnStepRecord> Open(string path, long keepThroughStep) => StepLog<RpnStepRecord>.Open(path, keepThroughStep, Format);

    public static IReadOnlyList<RpnStepRecord> Read(string path) => StepLog<RpnStepRecord>.Read(path, Format);

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
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
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
}
