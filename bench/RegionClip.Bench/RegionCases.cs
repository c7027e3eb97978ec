using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Bench;

/// <summary>
/// Region features for 300 boxes on an 800×1216 image (RegionClipModel's backbone + region head,
/// as EncodeRegions runs them) and the crop-then-CLIP alternative, mirroring bench_torch.py.
/// </summary>
internal static class RegionCases
{
    public static IEnumerable<CaseResult> Run(string dataDir, bool quick, Dictionary<string, Parity> parity)
    {
        using var model = RegionClipModel.FromClip(ClipModel.Load(Path.Combine(dataDir, "clip_rn50.pt")), "bench RN50");
        var io = CSharpSide.LoadTensors(Path.Combine(dataDir, "regions_io.pt"));
        try
        {
            var image = io["image"];
            using var rois = torch.cat([torch.zeros(300, 1), io["boxes"]], 1);
            Tensor Regions() => model.RegionHead(model.Backbone(image), rois);
            ClipCases.Check(parity, "region_300", Regions(), io["emb"]);
            return
            [
                CSharpSide.TimeCalls("region_300", Regions, quick ? 2 : 5, 1),
                CSharpSide.TimeCalls("crop_clip_300", () => CropThenClip(model.Clip, image, io["boxes"]), 1, quick ? 0 : 1),
            ];
        }
        finally
        {
            foreach (var t in io.Values) t.Dispose();
        }
    }

    private static Tensor CropThenClip(ClipModel clip, Tensor image, Tensor boxes)
    {
        using var scope = torch.NewDisposeScope();
        var b = boxes.round().to(ScalarType.Int64).data<long>();
        var crops = new Tensor[b.Length / 4];
        for (int i = 0; i < crops.Length; i++)
        {
            long x1 = b[4 * i], y1 = b[4 * i + 1], x2 = Math.Max(b[4 * i + 2], x1 + 1), y2 = Math.Max(b[4 * i + 3], y1 + 1);
            var crop = image.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1);
            crops[i] = F.interpolate(crop, 224, 224, InterpolationMode.Bilinear);
        }
        var all = torch.cat(crops);
        var parts = new List<Tensor>();
        for (long s = 0; s < all.size(0); s += 32) parts.Add(clip.encode_image(all.narrow(0, s, Math.Min(32, all.size(0) - s))));
        return torch.cat(parts).MoveToOuterScope();
    }
}
