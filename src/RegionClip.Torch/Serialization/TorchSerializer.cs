using RegionClip.Torch.Native;
using RegionClip.Torch.Serialization;

namespace RegionClip.Torch;

public static partial class torch
{
    /// <summary>
    /// Reads a torch.save file (or a TorchScript archive, as a dict of its parameters and buffers
    /// by name in state_dict order) into plain .NET values; see <see cref="PickleValues"/> for the
    /// mapping. Tensors land on the CPU whatever device they were saved from. No Python runs: a
    /// pickle that names any global other than the tensor rebuild functions, storage types and
    /// OrderedDict is refused when that global is read. A TorchScript archive's code is neither
    /// compiled nor run: its weights are read from its data.pkl by the same restricted reader.
    /// Hostile sizes are refused before memory is taken (a data.pkl over 256 MB, a record larger
    /// than its compressed bytes can hold, millions of values, values nested over 100 deep).
    /// </summary>
    /// <param name="halfToFloat">Convert float16 and bfloat16 tensors to float32.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// Not a checkpoint, truncated or corrupt, a refused pickle, or the unsupported legacy format;
    /// the message names the file and the reason.
    /// </exception>
    public static object? load(string path, bool halfToFloat = false)
    {
        var kind = Checkpoint.Identify(path);
        IntPtr v;
        var status = kind switch
        {
            CheckpointKind.TorchScript => NativeMethods.rc_torchscript_load(path, out v),
            _ => NativeMethods.rc_pickle_load(path, out v),
        };
        if (status != 0) throw new InvalidDataException(Checkpoint.NativeLoadError(path));
        using var owned = new PickleValues.Owned(v);
        return PickleValues.ToManaged(v, halfToFloat, $"cannot load '{path}'");
    }

    /// <summary>
    /// Writes a value (tensors, numbers, strings, lists, tuples as object?[] or C# tuples, dicts
    /// with string or integer keys) in torch.save's zip format; Python's torch.load reads it.
    /// Views keep sharing their storage. The write is atomic: the data goes to a temporary file
    /// in the same folder, is flushed to disk and then renamed over <paramref name="path"/>, so a
    /// failure or crash leaves any existing file untouched and no partial file behind.
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
                throw new IOException($"cannot save '{path}': {Checkpoint.NativeReason("save")}");
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            NativeMethods.rc_ivalue_free(v);
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
