using System.CommandLine;
using System.Globalization;
using RegionClip.Modeling.Detection;
using RegionClip.Structures;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

internal static class ExtractRegionsCommand
{
    internal static Command Create()
    {
        var model = CommonOptions.Model();
        var output = CommonOptions.Out();
        var vocabulary = new VocabularyOptions();
        var resize = new DetectionResizeOptions();
        var image = new Option<string>("--image") { Description = "JPEG or PNG file", Required = true };
        var boxes = new Option<string>("--boxes") { Description = "JSON list of [x1, y1, x2, y2] boxes in the image's pixels", Required = true };
        var cmd = new Command("extract-regions", "Region embeddings (RoIAlign on res4 → res5 → attention pooling) of given boxes, and class probabilities when a vocabulary is given")
        {
            model, image, boxes, output,
        };
        foreach (var o in resize.All().Concat(vocabulary.All())) cmd.Options.Add(o);
        var precision = CommonOptions.Precision();
        cmd.Options.Add(precision);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var imagePath = pr.GetValue(image)!;
            var list = BoxesFile.Read(pr.GetValue(boxes)!).For(imagePath);
            using var regionClip = RegionClipModel.Load(pr.GetValue(model)!);
            regionClip.Precision = pr.GetValue(precision);
            using var pool = vocabulary.Build(pr, regionClip);
            using var prepared = DetectionImage.Load(imagePath, resize.Get(pr));
            using var boxTensor = Box.ToTensor(list);
            using var features = regionClip.ExtractRegionFeatures(prepared, boxTensor);
            var rows = CommonOptions.Rows(features);
            var scores = pool is null ? null : RegionClipModel.Score(features, list, pool);

            var table = new Table().AddColumns("#", "box", "norm");
            if (scores is not null) table.AddColumns("top class", "probability");
            for (int i = 0; i < list.Count; i++)
            {
                var cells = new List<string> { i.ToString(CultureInfo.InvariantCulture), Markup.Escape(list[i].ToString()),
                    Math.Sqrt(rows[i].Sum(x => (double)x * x)).ToString("F3", CultureInfo.InvariantCulture) };
                if (scores is not null) cells.AddRange([Markup.Escape(scores[i].TopLabel), scores[i].TopProbability.ToString("P1", CultureInfo.InvariantCulture)]);
                table.AddRow(cells.ToArray());
            }
            CliOutput.Human.Write(table);
            CliOutput.WriteJson(new
            {
                model = regionClip.Config.Name,
                image = imagePath,
                width = prepared.OriginalWidth,
                height = prepared.OriginalHeight,
                inputSize = new[] { prepared.Height, prepared.Width },
                classes = pool?.Names,
                regions = list.Select((b, i) => new
                {
                    box = b.ToArray(),
                    embedding = rows[i],
                    probs = scores?[i].Probabilities,
                    top = scores?[i].TopLabel,
                    score = scores?[i].TopProbability,
                }),
            }, pr.GetValue(output));
            return 0;
        }));
        return cmd;
    }
}
