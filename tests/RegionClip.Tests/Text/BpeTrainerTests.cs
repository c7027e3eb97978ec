using RegionClip.Common;
using RegionClip.Synthetic;
using RegionClip.Text;

namespace RegionClip.Tests.Text;

public sealed class BpeTrainerTests
{
    // Sennrich et al.'s example corpus: low ×5, lower ×2, newest ×6, widest ×3.
    private static IEnumerable<string> Sennrich() =>
        Enumerable.Repeat("low", 5).Concat(Enumerable.Repeat("lower", 2)).Concat(Enumerable.Repeat("newest", 6)).Concat(Enumerable.Repeat("widest", 3));

    [Fact]
    public void LearnsTheMostFrequentPairFirstWithOrdinalTieBreaks()
    {
        // By hand: (e,s) and (s,t</w>) both 9 → "e" < "s"; then (es,t</w>) 9; (l,o) 7; at 6 (e,w) < (n,e) < (w,est</w>);
        // then (ew,est</w>) 6 < (n,ew) 6; (n,ewest</w>) 6; (lo,w</w>) 5; at 3 (d,est</w>) < (i,d) < (w,i); ...
        var merges = BpeTrainer.Learn(Sennrich(), 10).Pairs;
        (string, string)[] expected =
        [
            ("e", "s"), ("es", "t</w>"), ("l", "o"), ("e", "w"), ("ew", "est</w>"), ("n", "ewest</w>"), ("lo", "w</w>"),
            ("d", "est</w>"), ("i", "dest</w>"), ("w", "idest</w>"),
        ];
        Assert.Equal(expected, merges);
    }

    [Fact]
    public void StopsWhenNoPairIsFrequentEnough()
    {
        // After the ten above only "lower" (×2) has pairs left: (e,r</w>), (lo,w), (low,er</w>), then every word is one symbol.
        var all = BpeTrainer.Learn(Sennrich(), 1000).Pairs;
        Assert.Equal(13, all.Count);
        Assert.Equal(("low", "er</w>"), all[^1]);
        Assert.Equal(10, BpeTrainer.Learn(Sennrich(), 1000, minPairCount: 3).Pairs.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Learn(Sennrich(), 0));
    }

    [Fact]
    public void AMergesFileRoundTripsThroughTheTokenizer()
    {
        var merges = BpeTrainer.Learn(Sennrich(), 1000);
        using var dir = Paths.TempDir();
        foreach (var name in new[] { "bpe.txt", "bpe.txt.gz" })
        {
            var path = dir.File(name);
            merges.WriteMergesFile(path);
            var tok = ClipTokenizer.Load(path);
            // 256 bytes + 256 bytes</w> + 13 merges, then start and end of text.
            Assert.Equal((525, 526, 527), (tok.StartOfTextId, tok.EndOfTextId, tok.VocabularyCount));
            var ids = tok.EncodeWithSpecialTokens("lower newest, widest!");
            Assert.Equal(525, ids[0]);
            Assert.Equal(526, ids[^1]);
            // Whole words became single symbols: lower, newest, ",", widest, "!".
            Assert.Equal(7, ids.Length);
            Assert.Equal("lower newest , widest !", tok.Decode(ids));
        }
        Assert.Equal("#version: 0.2", File.ReadLines(dir.File("bpe.txt")).First());
        Assert.Equal("e s", File.ReadLines(dir.File("bpe.txt")).Skip(1).First());
    }

    [Fact]
    public void TheWorldVocabularyCoversEveryNameAndCaptionWord()
    {
        var tok = WorldVocabulary.Merges.ToTokenizer();
        Assert.Equal(512 + WorldVocabulary.Merges.Pairs.Count, tok.StartOfTextId);
        Assert.True(tok.VocabularyCount < 49408);
        foreach (var c in WorldCategories.All)
            foreach (var form in c.Names)
                foreach (var text in new[] { form.Singular, form.Plural })
                {
                    var ids = tok.Encode(text);
                    Assert.Equal(text, tok.Decode(ids));
                    // Every name word is a learned whole-word symbol.
                    Assert.Equal(text.Split(' ').Length, ids.Count);
                }
        var rng = new Prng(11);
        for (int i = 0; i < 200; i++)
        {
            var caption = CaptionWriter.Write([new ObjectAnnotation(0, rng.NextInt(WorldCategories.All.Count), 10, 10, 40, 40, 1600, 1)], 640, rng);
            // The decoder puts a space after every word end, so compare without spaces; words are whole symbols.
            Assert.Equal(ClipTokenizer.Clean(caption).Replace(" ", ""), tok.Decode(tok.Encode(caption)).Replace(" ", ""));
            foreach (var word in caption.ToLowerInvariant().Split(' ').Select(w => w.Trim('.', ',', '!', ':', '#')).Where(w => w.All(char.IsLetter) && w.Length > 0))
                Assert.True(tok.Encode(word).Count == 1, $"'{word}' of '{caption}' is not one symbol");
        }
    }

    [Fact]
    public void ShortMergesFilesGetTheirOwnSpecialIdsAndBadOnesClearErrors()
    {
        using var dir = Paths.TempDir();
        var path = dir.File("tiny.txt");
        File.WriteAllText(path, "#version: 0.2\nh i\nhi </w>\n");
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(path));
        Assert.Contains("line 3", e.Message);

        File.WriteAllText(path, "#version: 0.2\nh i</w>\nh i</w>\n");
        e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(path));
        Assert.Contains("duplicate", e.Message);

        File.WriteAllText(path, "#version: 0.2\nh i\nx hi</w>\n");
        e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(path));
        Assert.Contains("neither a byte nor made by an earlier merge", e.Message);

        File.WriteAllText(path, "#version: 0.2\n\n");
        e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(path));
        Assert.Contains("at least 1 merges", e.Message);

        File.WriteAllText(path, "#version: 0.2\nh i</w>\n");
        var tok = ClipTokenizer.Load(path);
        Assert.Equal((513, 514, 515), (tok.StartOfTextId, tok.EndOfTextId, tok.VocabularyCount));
        Assert.Equal([513, 512, 514], tok.EncodeWithSpecialTokens("hi"));
    }

    [SkippableFact]
    public void TheOfficialVocabularyKeepsItsIds()
    {
        var tok = ClipTokenizer.Load(Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz"));
        Assert.Equal((ClipTokenizer.StartOfText, ClipTokenizer.EndOfText, ClipTokenizer.VocabularySize), (tok.StartOfTextId, tok.EndOfTextId, tok.VocabularyCount));
    }
}
