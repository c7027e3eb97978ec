using System.CommandLine;
using RegionClip.Checkpoints;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

internal static class ConvertCommand
{
    internal static Command Create()
    {
        var input = new Option<string>("--in") { Description = "Checkpoint to read: torch.save file (.pth/.pt, optionally {\"model\": …}) or TorchScript archive", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the plain torch.save state dict", Required = true };
        var halfToFloat = new Option<bool>("--half-to-float") { Description = "Store float16/bfloat16 weights as float32" };
        var report = new Option<string?>("--report") { Description = "Write the JSON report to this file instead of stdout" };
        var cmd = new Command("convert", "Rewrite a checkpoint as a plain PyTorch state dict that torch.load reads unchanged")
        {
            input, output, halfToFloat, report,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var r = CheckpointConverter.Convert(pr.GetValue(input)!, pr.GetValue(output)!, pr.GetValue(halfToFloat));
            var table = new Table().AddColumns("", "value");
            table.AddRow("read", Markup.Escape($"{r.Input} ({r.InputKind})"));
            table.AddRow("wrote", Markup.Escape(r.Output));
            table.AddRow("tensors", $"{r.Tensors} ({r.Elements:N0} values)");
            table.AddRow("dtypes in", Markup.Escape(string.Join(", ", r.DtypesIn.Select(kv => $"{kv.Key} ×{kv.Value}"))));
            table.AddRow("dtypes out", Markup.Escape(string.Join(", ", r.DtypesOut.Select(kv => $"{kv.Key} ×{kv.Value}"))));
            CliOutput.Human.Write(table);
            CliOutput.WriteJson(r, pr.GetValue(report));
            return 0;
        }));
        return cmd;
    }
}
