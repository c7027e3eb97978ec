using System.CommandLine;
using System.Globalization;
using RegionClip.Synthetic;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

internal static class SynthCommand
{
    internal static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder to write the world into (created if missing)", Required = true };
        var images = new Option<int>("--images") { Description = "Number of images", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed: the same seed gives byte-identical files", DefaultValueFactory = _ => 0 };
        var size = new Option<string>("--size") { Description = "Image size WxH", DefaultValueFactory = _ => "640x480" };
        var split = new Option<string>("--split") { Description = "train or val (names the files; separates the random streams)", DefaultValueFactory = _ => "train" };
        split.AcceptOnlyFromAmong("train", "val");
        var single = new Option<double?>("--single-fraction") { Description = "Fraction of images with exactly one object, flagged \"single_object\" (default 0.25 for val, 0 for train)" };
        var captions = new Option<int>("--captions") { Description = "Captions per image", DefaultValueFactory = _ => 2 };
        var png = new Option<double>("--png-fraction") { Description = "Fraction of images written as PNG (the rest JPEG)", DefaultValueFactory = _ => 0.15 };
        var categories = new Option<WorldCategorySet>("--categories") { Description = "Categories the scenes show: All, Base (novel objects never appear, e.g. to train an RPN that never saw them) or Novel; the JSON lists all and the split", DefaultValueFactory = _ => WorldCategorySet.All };
        var report = new Option<string?>("--report") { Description = "Write the JSON summary to this file instead of stdout" };
        var cmd = new Command("synth", "Generate a synthetic world: JPEG/PNG scenes, COCO instances and captions JSON, base/novel split, BPE merges")
        {
            output, images, seed, size, split, single, captions, png, categories, report,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var (width, height) = ParseSize(pr.GetValue(size)!);
            var options = new WorldOptions
            {
                Images = pr.GetValue(images),
                Seed = pr.GetValue(seed),
                Split = pr.GetValue(split)!,
                Width = width,
                Height = height,
                SingleObjectFraction = pr.GetValue(single),
                CaptionsPerImage = pr.GetValue(captions),
                PngFraction = pr.GetValue(png),
                Categories = pr.GetValue(categories),
            };
            var dir = pr.GetValue(output)!;
            var s = CliProgress.Run($"rendering {options.Images} {options.Split} images", options.Images, p => WorldWriter.Write(dir, options, p));
            var table = new Table().AddColumns("", "value");
            table.AddRow("folder", Markup.Escape(s.Directory));
            table.AddRow("images", $"{s.Images} ({s.PngImages} PNG, {s.Images - s.PngImages} JPEG; {s.SingleObjectImages} single-object)");
            table.AddRow("boxes", $"{s.Annotations} ({s.RemovedObjects} objects removed as mostly hidden)");
            table.AddRow("captions", s.Captions.ToString(CultureInfo.InvariantCulture));
            table.AddRow("categories", $"{WorldCategories.All.Count} ({WorldCategories.Base.Count()} base, {WorldCategories.Novel.Count()} novel)"
                + (options.Categories == WorldCategorySet.All ? "" : $"; scenes show {options.Categories.ToString().ToLowerInvariant()} only"));
            table.AddRow("speed", $"{s.ImagesPerSecond:F1} images/s ({s.Seconds:F2} s)");
            CliOutput.Human.Write(table);
            CliOutput.WriteJson(new
            {
                directory = s.Directory,
                split = s.Split,
                categoriesDrawn = options.Categories.ToString().ToLowerInvariant(),
                seed = options.Seed,
                width,
                height,
                images = s.Images,
                singleObjectImages = s.SingleObjectImages,
                pngImages = s.PngImages,
                annotations = s.Annotations,
                captions = s.Captions,
                removedObjects = s.RemovedObjects,
                files = new { instances = s.InstancesPath, captions = s.CaptionsPath, categorySplit = s.CategorySplitPath, vocabulary = s.VocabularyPath },
                seconds = Math.Round(s.Seconds, 3),
                imagesPerSecond = Math.Round(s.ImagesPerSecond, 2),
            }, pr.GetValue(report));
            return 0;
        }));
        return cmd;
    }

    private static (int width, int height) ParseSize(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
                              && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h))
            return (w, h);
        throw new ArgumentException($"--size must look like 640x480 (width x height), got '{text}'");
    }
}
