using RegionClip.Torch.Native;
using RegionClip.Torch.Serialization;

namespace RegionClip.Torch;

public static partial class torch
{
    /// <summary>
    /// Reads a torch.save file (or a TorchScript archive, as a dict of its parameters and buffers
    /// by name) into plain .NET values; see <see cref="PickleValues"/> for the mapping. Pickles
    /// that name any Python global other than the tensor rebuild functions are refused unread.
    /// </summary>
    public static object? load(string path, bool halfToFloat = false)
    {
        var kind = Checkpoint.Identify(path);
        IntPtr v;
        var status = kind switch
        {
            CheckpointKind.TorchScript => NativeMethods.rc_torchscript_load(path, out v),
            _ => NativeMethods.rc_pickle_load(path, out v),
        };
        if (status != 0) throw new InvalidDataException($"cannot load '{path}': {TorchException.LastNativeError()}");
        using var owned = new PickleValues.Owned(v);
        return PickleValues.ToManaged(v, halfToFloat, $"'{path}'");
    }

    /// <summary>
    /// Writes a value (tensors, numbers, strings, lists, tuples as object?[], dicts) in
    /// torch.save's zip format. The write is atomic: a crash never leaves a half-written file.
    /// </summary>
    public static void save(object? value, string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var v = PickleValues.ToNative(value, path);
        try
        {
            if (NativeMethods.rc_pickle_save(v, tmp) != 0)
                throw new IOException($"cannot save '{path}': {TorchException.LastNativeError()}");
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            NativeMethods.rc_ivalue_free(v);
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
