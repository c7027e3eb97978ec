using System.Text.RegularExpressions;
using RegionClip.Data;
using RegionClip.Data.Coco;
using RegionClip.Text;
using RegionClip.Torch;

namespace RegionClip.Data.Datasets;

/// <summary>One training sample: which image, which of its captions, and whether it is mirrored.</summary>
public readonly record struct SampleChoice(int Image, int Caption, bool Flip);

/// <summary>
/// A world split's image–caption pairs held in memory for teacher training: every image decoded
/// once and resized to the teacher's square view (uint8, [N, R, R, 3]), every caption tokenised
/// once with the world's tokenizer (and once more with "left"/"right" swapped, for mirrored images).
/// A 4,000-image world at 64 px is 49 MB, so epochs cost no decoding.
/// </summary>
public sealed partial class ImageCaptionDataset : IDisposable
{
    private readonly Tensor _pixels;
    private readonly int[][][] _tokens, _mirrored;

    private ImageCaptionDataset(Tensor pixels, int[][][] tokens, int[][][] mirrored, IReadOnlyList<string> files, int resolution, int skipped)
    {
        _pixels = pixels;
        _tokens = tokens;
        _mirrored = mirrored;
        Files = files;
        Resolution = resolution;
        SkippedImages = skipped;
    }

    public int Count => _tokens.Length;
    public int Resolution { get; }
    /// <summary>Image files (full paths) in dataset order.</summary>
    public IReadOnlyList<string> Files { get; }
    /// <summary>Images of the captions file that have no caption (left out).</summary>
    public int SkippedImages { get; }

    public int CaptionCount(int image) => _tokens[image].Length;

    /// <summary>The tokens of one caption, start and end tokens included (mirrored: "left"/"right" swapped).</summary>
    public IReadOnlyList<int> Tokens(int image, int caption, bool mirrored = false) => (mirrored ? _mirrored : _tokens)[image][caption];

    /// <summary>
    /// Reads WORLD/captions_SPLIT.json and its images. Captions are tokenised with
    /// <paramref name="tokenizer"/> and cut to <paramref name="contextLength"/> (end token kept).
    /// </summary>
    public static ImageCaptionDataset Load(string worldDir, string split, ClipTokenizer tokenizer, int resolution, int contextLength,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        var path = Path.Combine(worldDir, $"captions_{split}.json");
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' does not exist: --world must be a folder written by `regionclip synth` (with --split {split})", path);
        var captions = CocoCaptions.Load(path);
        var files = new List<string>();
        var tokens = new List<int[][]>();
        var mirrored = new List<int[][]>();
        int skipped = 0;
        foreach (var im in captions.Images)
        {
            var texts = captions.CaptionsOf(im.Id);
            if (texts.Count == 0) { skipped++; continue; }
            files.Add(Path.GetFullPath(Path.Combine(worldDir, im.FileName!)));   // caption files require file_name
            tokens.Add(texts.Select(c => tokenizer.EncodeWithSpecialTokens(c.Caption, contextLength, Truncation.KeepEnd)).ToArray());
            mirrored.Add(texts.Select(c => tokenizer.EncodeWithSpecialTokens(Mirror(c.Caption), contextLength, Truncation.KeepEnd)).ToArray());
        }
        if (files.Count == 0) throw new InvalidDataException($"'{path}' has no image with a caption: nothing to train on");
        var pixels = LoadPixels(files, resolution, progress, cancel);
        return new ImageCaptionDataset(pixels, [.. tokens], [.. mirrored], files, resolution, skipped);
    }

    /// <summary>
    /// The teacher's view of an image: the whole frame resized to R × R (PIL bilinear, antialiased;
    /// the aspect ratio is not kept, so no object is cropped away). uint8 [H, W, 3] → uint8 [R, R, 3].
    /// </summary>
    public static Tensor TeacherView(Tensor rgb, int resolution) => PilResize.Resize(rgb, resolution, resolution, ResampleFilter.Bilinear);

    /// <summary>Decodes and resizes image files in parallel (the result does not depend on the thread count). uint8 [N, R, R, 3].</summary>
    public static Tensor LoadPixels(IReadOnlyList<string> files, int resolution, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        var frame = resolution * resolution * 3;
        var bytes = new byte[(long)files.Count * frame];
        int done = 0;
        var gate = new object();
        Parallel.For(0, files.Count, new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            using (var scope = torch.NewDisposeScope())
            {
                var view = TeacherView(ImageIO.Read(files[i]), resolution);
                view.data<byte>().CopyTo(bytes.AsSpan((int)((long)i * frame), frame));
            }
            lock (gate) progress?.Report((++done, files.Count));
        });
        return torch.tensor(bytes, files.Count, resolution, resolution, 3);
    }

    /// <summary>uint8 [N, H, W, 3] → float32 [N, 3, H, W] with CLIP's normalisation (same arithmetic as <see cref="ClipPreprocess.Normalize"/>).</summary>
    public static Tensor Normalize(Tensor pixels)
    {
        using var scope = torch.NewDisposeScope();
        var mean = torch.tensor(ClipPreprocess.Mean.ToArray(), 1, 3, 1, 1);
        var std = torch.tensor(ClipPreprocess.Std.ToArray(), 1, 3, 1, 1);
        return pixels.permute(0, 3, 1, 2).to(ScalarType.Float32).div_(255).sub_(mean).div_(std).MoveToOuterScope();
    }

    /// <summary>
    /// A training batch: normalised images [B, 3, R, R] (mirrored where asked) and token ids
    /// [B, L] zero-padded to the longest caption of the batch (padding after the end token cannot
    /// change CLIP's causal text features, so this equals padding to the full context).
    /// </summary>
    public (Tensor Images, Tensor Tokens) Batch(ReadOnlySpan<SampleChoice> items)
    {
        if (items.IsEmpty) throw new ArgumentException("empty batch");
        using var scope = torch.NewDisposeScope();
        var index = new long[items.Length];
        var flip = new bool[items.Length];
        var rows = new IReadOnlyList<int>[items.Length];
        int longest = 0;
        for (int i = 0; i < items.Length; i++)
        {
            var s = items[i];
            if ((uint)s.Image >= (uint)Count || (uint)s.Caption >= (uint)_tokens[s.Image].Length)
                throw new ArgumentOutOfRangeException(nameof(items), $"sample {i} asks for image {s.Image} caption {s.Caption}; the dataset has {Count} images");
            index[i] = s.Image;
            flip[i] = s.Flip;
            rows[i] = Tokens(s.Image, s.Caption, s.Flip);
            longest = Math.Max(longest, rows[i].Count);
        }
        var ids = new long[items.Length * longest];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Count; j++) ids[i * longest + j] = rows[i][j];

        var pixels = _pixels.index_select(0, torch.tensor(index));
        if (flip.Any(f => f))
        {
            var mask = torch.tensor(flip, items.Length, 1, 1, 1);
            pixels = torch.where(mask, pixels.flip(2), pixels);
        }
        var images = Normalize(pixels).MoveToOuterScope();
        var tokens = torch.tensor(ids, items.Length, longest).MoveToOuterScope();
        return (images, tokens);
    }

    /// <summary>The caption of the mirrored image: "left" and "right" trade places.</summary>
    public static string Mirror(string caption) =>
        LeftRight().Replace(caption, m => m.Value switch
        {
            "left" => "right", "right" => "left", "Left" => "Right", "Right" => "Left",
            _ => m.Value,
        });

    [GeneratedRegex(@"\b(left|right|Left|Right)\b")]
    private static partial Regex LeftRight();

    public void Dispose() => _pixels.Dispose();
}
