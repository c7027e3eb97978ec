using RegionClip.Torch;
using RegionClip.Torch.Serialization;

namespace RegionClip.Checkpoints;

/// <summary>
/// RegionCLIP's concept/class embedding files (coco_65_cls_emb.pth, lvis_1203_cls_emb.pth,
/// coco_nouns_4764_emb.pth, …): one [K, D] tensor saved with torch.save, not normalised; or a
/// NumPy .npy [K, D] array as Detic, VLPart and YOLO-World ship theirs (float16 or float32).
/// </summary>
public static class ConceptEmbeddingFile
{
    /// <summary>Reads the [K, D] embeddings as float32 (the caller owns the tensor).</summary>
    public static Tensor Load(string path)
    {
        if (NpyFile.IsNpy(path)) return FromNpy(path);
        if (Checkpoint.Identify(path) != CheckpointKind.TorchSave)
            throw new InvalidDataException($"'{path}' is not a concept-embedding file: it is not a torch.save file");
        var root = torch.load(path, halfToFloat: true);
        if (root is Tensor t)
        {
            if (t.ndim == 2 && t.is_floating_point())
            {
                using (t) return t.to(ScalarType.Float32);
            }
            var shape = string.Join(", ", t.shape);
            t.Dispose();
            throw new InvalidDataException($"'{path}' holds a {shape}-shaped tensor; concept embeddings are a 2-D float [concepts, dim] tensor");
        }
        var found = root switch
        {
            OrderedDictionary<string, object?> d when d.ContainsKey("model") => "a detectron2-style checkpoint ({\"model\": …})",
            OrderedDictionary<string, object?> d => $"a dict of {d.Count} entries (a model state dict?)",
            null => "None",
            _ => root.GetType().Name,
        };
        Checkpoint.DisposeTree(root);
        throw new InvalidDataException($"'{path}' is not a concept-embedding file (one [concepts, dim] tensor): it holds {found}");
    }

    private static Tensor FromNpy(string path)
    {
        var t = NpyFile.Load(path);
        if (t.ndim == 2) return t;
        var shape = string.Join(", ", t.shape);
        t.Dispose();
        throw new InvalidDataException($"'{path}' holds a ({shape}) array; concept embeddings are a 2-D [concepts, dim] array");
    }

    /// <summary>Writes embeddings the way RegionCLIP's extract_concept_features does (a bare tensor).</summary>
    public static void Save(Tensor embeddings, string path)
    {
        if (embeddings.ndim != 2) throw new ArgumentException($"concept embeddings must be [concepts, dim], got [{string.Join(", ", embeddings.shape)}]");
        torch.save(embeddings, path);
    }
}
