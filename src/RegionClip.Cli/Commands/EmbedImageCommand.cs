using System.CommandLine;
using RegionClip.Modeling.Clip;

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
            using var encoded = new ImageEncoder(clip).EncodeReadableFiles(paths);
            CommonOptions.ReportSkipped(encoded.Failures);
            CommonOptions.WriteEmbeddings("image", encoded.Paths, encoded.Embeddings, clip.Config.Name, pr.GetValue(output), encoded.Failures);
            return encoded.Paths.Count == 0 ? 1 : 0;
        }));
        return cmd;
    }
}
