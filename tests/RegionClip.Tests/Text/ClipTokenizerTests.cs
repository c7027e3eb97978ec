using System.Text.Json;
using RegionClip.Text;

namespace RegionClip.Tests.Text;

/// <summary>CLIP BPE ids against the official tokenizer (../shared/fixtures/tokenizer) and hand-made vectors.</summary>
public sealed class ClipTokenizerTests
{
    private static readonly Lazy<ClipTokenizer?> Shared = new(() =>
        Paths.Shared("data", "clip", "bpe_simple_vocab_16e6.txt.gz") is { } p ? ClipTokenizer.Load(p) : null);

    private static ClipTokenizer Tokenizer()
    {
        Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        return Shared.Value!;
    }

    [SkippableFact]
    public void MatchesTheOfficialTokenizerOnEveryFixtureCase()
    {
        var tok = Tokenizer();
        var path = Paths.RequireShared("fixtures", "tokenizer", "clip_bpe_cases.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToList();
        Assert.NotEmpty(cases);
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var text = c.GetProperty("text").GetString()!;
            var expected = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            // The fixture is untruncated: compare the full sequence.
            var actual = tok.EncodeWithSpecialTokens(text, int.MaxValue);
            if (!expected.SequenceEqual(actual))
                failures.Add($"'{text}': expected [{string.Join(' ', expected)}] got [{string.Join(' ', actual)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count}/{cases.Count} cases differ:\n" + string.Join("\n", failures));
    }

    [SkippableTheory]
    [InlineData("a photo of a cat.", new[] { 49406, 320, 1125, 539, 320, 2368, 269, 49407 })]
    [InlineData("person.", new[] { 49406, 2533, 269, 49407 })]
    [InlineData("tv.", new[] { 49406, 1583, 269, 49407 })]
    [InlineData("a photo of a hair drier.", new[] { 49406, 320, 1125, 539, 320, 2225, 39877, 269, 49407 })]
    [InlineData("a teddy bear in a video game.", new[] { 49406, 320, 11798, 4298, 530, 320, 1455, 1063, 269, 49407 })]
    [InlineData("There is a Dog in the scene!", new[] { 49406, 997, 533, 320, 1929, 530, 518, 3562, 256, 49407 })]
    public void SpecVectors(string text, int[] expected) => Assert.Equal(expected, Tokenizer().EncodeWithSpecialTokens(text));

    [SkippableFact]
    public void TruncationModes()
    {
        var tok = Tokenizer();
        var longText = string.Join(' ', Enumerable.Repeat("dog", 100));
        Assert.Throws<ArgumentException>(() => tok.EncodeWithSpecialTokens(longText));
        var keep = tok.EncodeWithSpecialTokens(longText, truncation: Truncation.KeepEnd);
        Assert.Equal(77, keep.Length);
        Assert.Equal(ClipTokenizer.EndOfText, keep[^1]);
        var cut = tok.EncodeWithSpecialTokens(longText, truncation: Truncation.Cut);
        Assert.Equal(77, cut.Length);
        Assert.NotEqual(ClipTokenizer.EndOfText, cut[^1]);
        var padded = tok.Tokenize(["a dog", longText], truncation: Truncation.KeepEnd);
        Assert.Equal(77, padded.GetLength(1));
        Assert.Equal(0L, padded[0, 4]);
        Assert.Equal(ClipTokenizer.EndOfText, padded[0, 3]);
    }

    [SkippableFact]
    public void PlainTextMergesFileGivesTheSameIds()
    {
        var gz = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        var plain = dir.File("bpe.txt");
        using (var src = new System.IO.Compression.GZipStream(File.OpenRead(gz), System.IO.Compression.CompressionMode.Decompress))
        using (var dst = File.Create(plain)) src.CopyTo(dst);
        var tok = ClipTokenizer.Load(plain);
        Assert.Equal(Tokenizer().EncodeWithSpecialTokens("a photo of a hair drier."), tok.EncodeWithSpecialTokens("a photo of a hair drier."));
        // Like the official decoder, each word-final symbol is followed by a space.
        Assert.Equal("a photo of a hair drier .", tok.Decode(tok.EncodeWithSpecialTokens("a photo of a hair drier.")));
    }

    [Fact]
    public void WrongVocabularyFilesGiveClearErrors()
    {
        using var dir = Paths.TempDir();
        var notVocab = dir.File("notes.txt");
        File.WriteAllText(notVocab, "hello\nworld\n");
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(notVocab));
        Assert.Contains("notes.txt", e.Message);
        Assert.Contains("bpe_simple_vocab_16e6", e.Message);

        var badGzip = dir.File("vocab.txt.gz");
        File.WriteAllBytes(badGzip, [0x1f, 0x8b, 1, 2, 3]);
        e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(badGzip));
        Assert.Contains("vocab.txt.gz", e.Message);

        var missing = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.Load(dir.File("nope.gz")));
        Assert.Contains("openai/CLIP", missing.Message);
    }

    [Fact]
    public void CleaningFollowsTheOfficialSteps() =>
        Assert.Equal("a man's 3 dogs & cats", ClipTokenizer.Clean("  A  man's\t3 DOGS &amp;amp; cats\n"));
}
