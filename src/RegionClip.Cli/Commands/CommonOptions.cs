using System.CommandLine;
using System.Globalization;
using RegionClip.Modeling.Clip;
using RegionClip.Text;
using RegionClip.Torch;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>Options and helpers shared by the verbs.</summary>
internal static class CommonOptions
{
    internal static Option<string> Model() => new("--model")
    {
        Description = "CLIP or RegionCLIP checkpoint: OpenAI RN50.pt/RN50x4.pt (TorchScript), a CLIP state dict, or regionclip_*.pth",
        Required = true,
    };

    internal static Option<string?> Vocab() => new("--vocab")
    {
        Description = $"CLIP BPE merges file ({VocabularyLocator.FileName}); default: ${VocabularyLocator.EnvironmentVariable} or the models folder",
    };

    internal static Option<string?> Out() => new("--out") { Description = "Write the JSON here instead of stdout" };

    /// <summary>--precision float32|bf16: the region features' convolutions (<see cref="Modeling.Detection.RegionClipModel.Precision"/>).</summary>
    internal static Option<Modeling.Detection.InferencePrecision> Precision()
    {
        var option = new Option<Modeling.Detection.InferencePrecision>("--precision")
        {
            Description = "Region features in float32 (default) or bf16: bfloat16 convolutions, about 2x faster on CPUs with AVX-512 BF16 or AMX; features agree to about 3 digits",
            DefaultValueFactory = _ => Modeling.Detection.InferencePrecision.Float32,
            CustomParser = r => r.Tokens.Single().Value == "bf16" ? Modeling.Detection.InferencePrecision.BFloat16 : Modeling.Detection.InferencePrecision.Float32,
        };
        option.AcceptOnlyFromAmong("float32", "bf16");
        return option;
    }

    /// <summary>A [N, D] float tensor as N rows of D numbers.</summary>
    internal static float[][] Rows(Tensor t)
    {
        using var f = t.to(ScalarType.Float32);
        var flat = f.data<float>();
        var (n, d) = ((int)t.size(0), (int)t.size(1));
        var rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = flat.AsSpan(i * d, d).ToArray();
        return rows;
    }

    /// <summary>The embed-* verbs' output: a table of label, dimension and norm on stderr; rows as JSON.</summary>
    internal static void WriteEmbeddings(string labelHeader, IReadOnlyList<string> labels, Tensor embeddings, string modelName, string? outPath,
        IReadOnlyList<ImageFailure>? skipped = null)
    {
        var rows = Rows(embeddings);
        var table = new Table().AddColumns(labelHeader, "dim", "norm");
        for (int i = 0; i < labels.Count; i++)
            table.AddRow(Markup.Escape(labels[i]), rows[i].Length.ToString(CultureInfo.InvariantCulture),
                Math.Sqrt(rows[i].Sum(x => (double)x * x)).ToString("F4", CultureInfo.InvariantCulture));
        CliOutput.Human.Write(table);
        CliOutput.WriteJson(new { model = modelName, embeddings = rows, images = skipped is null ? null : labels, skipped = skipped is null ? null : Skipped(skipped) }, outPath);
    }

    /// <summary>One "skipped FILE: why" line on stderr per image that could not be used.</summary>
    internal static void ReportSkipped(IReadOnlyList<ImageFailure> failures)
    {
        foreach (var f in failures)
            CliOutput.Human.MarkupLine($"[yellow]skipped[/] {Markup.Escape(f.Path)}: {Markup.Escape(CliOutput.OneLine(f.Reason))}");
    }

    /// <summary>The JSON form of skipped images: [{"image": path, "error": reason}].</summary>
    internal static object[] Skipped(IReadOnlyList<ImageFailure> failures) =>
        failures.Select(f => (object)new { image = f.Path, error = f.Reason }).ToArray();
}
