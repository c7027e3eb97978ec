using System.CommandLine;
using RegionClip.Modeling.Clip;
using RegionClip.Text;

namespace RegionClip.Cli.Commands;

internal static class EmbedTextCommand
{
    internal static Command Create()
    {
        var model = CommonOptions.Model();
        var vocab = CommonOptions.Vocab();
        var output = CommonOptions.Out();
        var texts = new Argument<string[]>("TEXT") { Description = "Texts to embed", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("embed-text", "CLIP text embeddings (encode_text output, not normalised) of each text")
        {
            model, vocab, output, texts,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            using var clip = ClipModel.Load(pr.GetValue(model)!);
            var tokenizer = ClipTokenizer.Load(VocabularyLocator.Resolve(pr.GetValue(vocab)));
            var all = pr.GetValue(texts)!;
            using var emb = new TextEncoder(clip, tokenizer).Encode(all);
            CommonOptions.WriteEmbeddings("text", all, emb, clip.Config.Name, pr.GetValue(output));
            return 0;
        }));
        return cmd;
    }
}
