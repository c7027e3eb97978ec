using RegionClip.Modeling.Clip;
using RegionClip.Torch;

namespace RegionClip.Bench;

/// <summary>
/// CLIP RN50 towers (random seeded weights written by bench_torch.py): encode_image at
/// 224 for batch 1 and 32, encode_text for a batch of 81 prompts (one class's ensemble).
/// </summary>
internal static class ClipCases
{
    public static IEnumerable<CaseResult> Run(string dataDir, bool quick, Dictionary<string, Parity> parity)
    {
        using var model = ClipModel.Load(Path.Combine(dataDir, "clip_rn50.pt"));
        var io = CSharpSide.LoadTensors(Path.Combine(dataDir, "clip_io.pt"));
        try
        {
            var images32 = io["images"];
            using var images1 = images32.narrow(0, 0, 1);
            var text = io["text"];
            Check(parity, "clip_image_b32", model.encode_image(images32), io["image_emb"]);
            Check(parity, "clip_text_b81", model.encode_text(text), io["text_emb"]);
            return
            [
                CSharpSide.TimeCalls("clip_image_b1", () => model.encode_image(images1), quick ? 3 : 10, 3),
                CSharpSide.TimeCalls("clip_image_b32", () => model.encode_image(images32), quick ? 1 : 3, 1),
                CSharpSide.TimeCalls("clip_text_b81", () => model.encode_text(text), quick ? 2 : 5, 2),
            ];
        }
        finally
        {
            foreach (var t in io.Values) t.Dispose();
        }
    }

    internal static void Check(Dictionary<string, Parity> parity, string name, Tensor actual, Tensor expected)
    {
        using (actual)
        using (torch.NewDisposeScope())
        {
            var diff = (actual - expected).abs().max().item<float>();
            var scale = expected.abs().max().item<float>();
            parity[name] = new Parity(diff, scale);
            Console.WriteLine($"parity {name}: max |C# - PyTorch| = {diff:E2} (max |reference| {scale:F2})");
        }
    }
}
