using System.CommandLine;
using RegionClip.Modeling.Clip;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

internal static class EmbedImageCommand
{
    internal static Command Create()
    {
        var model = CommonOptions.Model();
        var output = CommonOptions.Out();
        var images = new Argument<string[]>("IMAGE") { Description = "JPEG or PNG files", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("embed-image", "CLIP image embeddings (encode_image of the CLIP-preprocessed image, not normalised)")
        {
            model, output, images,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var paths = pr.GetValue(images)!;
            using var clip = ClipModel.Load(pr.GetValue(model)!);
            using var emb = new ImageEncoder(clip).EncodeFiles(paths);
            var rows = CommonOptions.Rows(emb);
            var table = new Table().AddColumns("image", "dim", "norm");
            for (int i = 0; i < paths.Length; i++)
                table.AddRow(Markup.Escape(paths[i]), rows[i].Length.ToString(System.Globalization.CultureInfo.InvariantCulture), CommonOptions.Norm(rows[i]).ToString("F4", System.Globalization.CultureInfo.InvariantCulture));
            CliOutput.Human.Write(table);
            CliOutput.WriteJson(new { model = clip.Config.Name, embeddings = rows }, pr.GetValue(output));
            return 0;
        }));
        return cmd;
    }
}
