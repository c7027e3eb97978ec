using System.CommandLine;
using RegionClip.Text;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

internal static class TokenizeCommand
{
    internal static Command Create()
    {
        var vocab = new Option<string?>("--vocab") { Description = $"CLIP BPE merges file ({VocabularyLocator.FileName}); default: ${VocabularyLocator.EnvironmentVariable} or the models folder" };
        var output = new Option<string?>("--out") { Description = "Write the JSON here instead of stdout" };
        var texts = new Argument<string[]>("TEXT") { Description = "Texts to tokenize", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("tokenize", "CLIP BPE token ids of each text (start and end tokens included, cut to 77 with the end token kept)")
        {
            vocab, output, texts,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var tokenizer = ClipTokenizer.Load(VocabularyLocator.Resolve(pr.GetValue(vocab)));
            var all = pr.GetValue(texts)!;
            var tokens = all.Select(t => tokenizer.EncodeWithSpecialTokens(t, truncation: Truncation.KeepEnd)).ToArray();
            var table = new Table().AddColumns("text", "tokens", "ids");
            for (int i = 0; i < all.Length; i++)
                table.AddRow(Markup.Escape(all[i]), tokens[i].Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(string.Join(' ', tokens[i])));
            CliOutput.Human.Write(table);
            CliOutput.WriteJson(new { tokens }, pr.GetValue(output));
            return 0;
        }));
        return cmd;
    }
}
