using System.Security.Cryptography;
using System.Text;
using RegionClip.Checkpoints;
using RegionClip.Torch;

namespace RegionClip.Modeling.Clip;

/// <summary>
/// Concept embeddings on disk, keyed by the text tower's weights and the exact name list, so a
/// vocabulary is embedded once per model (81 prompts per name is the slow part of a new vocabulary).
/// Files are the official format (a bare [K, D] tensor), written atomically.
/// </summary>
public sealed class ConceptCache(string directory)
{
    public const string EnvironmentVariable = "REGIONCLIP_CACHE";

    public string Directory { get; } = directory;

    /// <summary>$REGIONCLIP_CACHE/concepts, else ~/.cache/regionclip/concepts.</summary>
    public static ConceptCache Default
    {
        get
        {
            var root = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (string.IsNullOrEmpty(root))
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "regionclip");
            return new ConceptCache(Path.Combine(root, "concepts"));
        }
    }

    /// <summary>The cached [K, D] embeddings, or null (a damaged entry counts as absent).</summary>
    public Tensor? TryLoad(ClipModel model, IReadOnlyList<string> names)
    {
        var path = PathOf(model, names);
        if (!File.Exists(path)) return null;
        try
        {
            var t = ConceptEmbeddingFile.Load(path);
            if (t.size(0) == names.Count && t.size(1) == model.Config.EmbedDim) return t;
            t.Dispose();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or TorchException)
        {
        }
        return null;
    }

    public void Store(ClipModel model, IReadOnlyList<string> names, Tensor embeddings)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            ConceptEmbeddingFile.Save(embeddings, PathOf(model, names));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only or full cache must not fail the job; the embeddings are in memory.
        }
    }

    public string PathOf(ClipModel model, IReadOnlyList<string> names)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Fingerprint(model));
        foreach (var n in names)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(n));
            sha.AppendData([0]);
        }
        return Path.Combine(Directory, Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant()[..32] + ".pth");
    }

    /// <summary>A digest of the text tower's projection and positional embedding: different weights, different key.</summary>
    private static byte[] Fingerprint(ClipModel model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in new[] { model.TextProjection, model.PositionalEmbedding })
        {
            using var scope = torch.NewDisposeScope();
            var c = t.detach().to(ScalarType.Float32).contiguous();
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.data<float>().AsSpan()));
        }
        return sha.GetHashAndReset();
    }
}
