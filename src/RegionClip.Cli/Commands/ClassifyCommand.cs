using System.CommandLine;
using System.Globalization;
using RegionClip.Modeling.Clip;
using RegionClip.Text;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

internal static class ClassifyCommand
{
    internal static Command Create()
    {
        var model = CommonOptions.Model();
        var vocab = CommonOptions.Vocab();
        var output = CommonOptions.Out();
        var classes = new Option<string>("--classes") { Description = "Comma-separated class names, e.g. \"cat,dog,teddy bear\"", Required = true };
        var images = new Argument<string[]>("IMAGE") { Description = "JPEG or PNG files", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("classify", "Zero-shot image classification with prompt ensembling: probabilities per class")
        {
            model, vocab, classes, output, images,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var names = pr.GetValue(classes)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length == 0) throw new ArgumentException("--classes is empty");
            using var clip = ClipModel.Load(pr.GetValue(model)!);
            var tokenizer = ClipTokenizer.Load(VocabularyLocator.Resolve(pr.GetValue(vocab)));
            using var classifier = new ZeroShotClassifier(clip, tokenizer, names);
            using var encoded = new ImageEncoder(clip).EncodeReadableFiles(pr.GetValue(images)!);
            CommonOptions.ReportSkipped(encoded.Failures);
            var results = classifier.Classify(encoded.Embeddings, encoded.Paths);
            var table = new Table().AddColumns("image", "top class", "probability");
            foreach (var r in results) table.AddRow(Markup.Escape(r.Image), Markup.Escape(r.Top), r.TopProbability.ToString("P1", CultureInfo.InvariantCulture));
            CliOutput.Human.Write(table);
            CliOutput.WriteJson(new
            {
                model = clip.Config.Name,
                classes = names,
                results = results.Select(r => new
                {
                    image = r.Image,
                    top = r.Top,
                    probabilities = names.Zip(r.Probabilities).ToDictionary(p => p.First, p => p.Second),
                }),
                skipped = CommonOptions.Skipped(encoded.Failures),
            }, pr.GetValue(output));
            return results.Count == 0 ? 1 : 0;
        }));
        return cmd;
    }
}
