using System.CommandLine;
using System.Globalization;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

internal static class ExtractConceptsCommand
{
    internal static Command Create()
    {
        var model = CommonOptions.Model();
        var vocabulary = new VocabularyOptions();
        var output = new Option<string>("--out") { Description = "Embedding file to write (.pth: one [K, D] tensor, like the official *_emb.pth); names go to FILE.names.txt", Required = true };
        var cmd = new Command("extract-concepts", "Concept embeddings (81 prompt templates, mean of unnormalised CLIP text embeddings) for a vocabulary")
        {
            model, output,
        };
        foreach (var o in vocabulary.All(includeConcepts: false)) cmd.Options.Add(o);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            using var regionClip = RegionClipModel.Load(pr.GetValue(model)!);
            using var pool = vocabulary.Build(pr, regionClip)
                ?? throw new ArgumentException("name the vocabulary with --classes, --vocab-file or --categories");
            var path = pr.GetValue(output)!;
            var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(dir);
            pool.Save(path);
            CliOutput.Human.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote [bold]{pool.Count}[/] concept embeddings [[{pool.Count}, {pool.Dim}]] to {Markup.Escape(path)}"));
            CliOutput.WriteJson(new
            {
                model = regionClip.Config.Name,
                @out = path,
                names = RegionClip.Modeling.Clip.ConceptPool.NamesFileOf(path),
                count = pool.Count,
                dim = pool.Dim,
            }, null);
            return 0;
        }));
        return cmd;
    }
}
