namespace RegionClip.Text;

/// <summary>
/// GPT-2/CLIP's reversible byte→character table: printable bytes map to themselves, the other 68
/// (controls, space, 127–160, 173) to U+0100 onwards, so every byte string is a string of
/// "visible" characters that BPE can merge.
/// </summary>
internal static class ByteUnicode
{
    /// <summary>Characters for bytes 0..255.</summary>
    internal static readonly char[] Encoder = Build();

    /// <summary>The 256 characters in the vocabulary's id order: printable bytes first, then the remapped ones.</summary>
    internal static readonly char[] VocabularyOrder = BuildOrder();

    private static bool Printable(int b) => b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;

    private static char[] Build()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) table[b] = Printable(b) ? (char)b : (char)next++;
        return table;
    }

    private static char[] BuildOrder()
    {
        var order = new List<char>(256);
        for (int b = 0; b < 256; b++) if (Printable(b)) order.Add(Encoder[b]);
        for (int b = 0; b < 256; b++) if (!Printable(b)) order.Add(Encoder[b]);
        return order.ToArray();
    }
}
