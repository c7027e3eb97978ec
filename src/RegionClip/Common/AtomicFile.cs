using System.Text;

namespace RegionClip.Common;

/// <summary>
/// Files that are either wholly old or wholly new: written to a temporary file in the same folder,
/// then renamed over the target, so a crash or a kill never leaves half a file behind.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes what <paramref name="write"/> puts into the stream, creating the folder if needed.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = $"{full}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                write(stream);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes UTF-8 text without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => s.Write(Utf8.GetBytes(text)));

    /// <summary>Writes lines as <paramref name="writeLines"/> gives them to a UTF-8 writer with '\n' line ends.</summary>
    public static void WriteText(string path, Action<TextWriter> writeLines) => Write(path, s =>
    {
        using var w = new StreamWriter(s, Utf8, leaveOpen: true) { NewLine = "\n" };
        writeLines(w);
    });

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
}
