using RegionClip.Text.Concepts;
using Xunit.Abstractions;

namespace RegionClip.Tests.Text.Concepts;

public sealed class CaptionParserTests(ITestOutputHelper output)
{
    private static List<string> Parse(string caption) => DebianLexicon.Parser.Parse(caption);

    [SkippableTheory]
    [InlineData("Two men on a bench.", "man")]
    [InlineData("Three children in a yard.", "child")]
    [InlineData("A dentist looking at teeth.", "tooth")]
    [InlineData("Geese on a pond.", "goose")]
    [InlineData("Knives on a cutting board.", "knife")]
    [InlineData("Leaves on the ground.", "leaf")]
    [InlineData("Mice in a cage.", "mouse")]
    [InlineData("A group of people on a beach.", "people")]
    [InlineData("A group of people on a beach.", "group")]
    [InlineData("Some dogs and cats.", "dog")]
    [InlineData("Boxes of dishes.", "dish")]
    public void IrregularAndRegularPluralsBecomeWordNetLemmas(string caption, string expected) =>
        Assert.Contains(expected, Parse(caption));

    [SkippableTheory]
    [InlineData("A little girl holding a teddy bear.", "teddy bear")]
    [InlineData("A red fire hydrant on a sidewalk.", "fire hydrant")]
    [InlineData("A bus driving down a city street.", "city street")]
    [InlineData("Two tennis players shaking hands.", "tennis player")]
    [InlineData("A close up of a laptop keyboard.", "laptop keyboard")]
    [InlineData("A living room with a couch.", "living room")]
    public void NounCompoundsStayWhole(string caption, string expected)
    {
        var concepts = Parse(caption);
        Assert.Contains(expected, concepts);
        foreach (var part in expected.Split(' ')) Assert.DoesNotContain(part, concepts);
    }

    [SkippableFact]
    public void VerbsAdjectivesNumbersAndFunctionWordsAreNotConcepts()
    {
        var concepts = Parse("Two snowy red wooden chairs are sitting and 3 men riding in the big old barn.");
        Assert.Equal(["chair", "man", "barn"], concepts);
    }

    [SkippableFact]
    public void SymbolsBreakCompoundsAndPossessivesSplit()
    {
        Assert.Equal(["art", "illustration"], Parse("#art #illustration"));
        Assert.Equal(["man", "hat"], Parse("The man's hat"));
        Assert.Empty(Parse("!!! ... 42"));
    }

    /// <summary>The hand-written corpus: every caption's concepts against what it must yield.</summary>
    [SkippableFact]
    public void CocoStyleCorpusHasHighPrecisionAndRecall()
    {
        var parser = DebianLexicon.Parser;
        int truePositives = 0, predicted = 0, expected = 0, captions = 0;
        foreach (var line in File.ReadLines(Paths.Fixture("concepts", "coco_style_captions.txt")))
        {
            if (line.StartsWith('#') || line.Trim().Length == 0) continue;
            var (caption, gold) = (line.Split('|')[0].Trim(), line.Split('|')[1].Split(';', StringSplitOptions.TrimEntries).ToList());
            var found = parser.Parse(caption);
            captions++;
            predicted += found.Count;
            expected += gold.Count;
            var unmatched = new List<string>(gold);
            foreach (var f in found)
                if (unmatched.Remove(f)) truePositives++;
            if (unmatched.Count > 0 || found.Count != gold.Count)
                output.WriteLine($"{caption} → [{string.Join("; ", found)}], expected [{string.Join("; ", gold)}]");
        }
        double precision = (double)truePositives / predicted, recall = (double)truePositives / expected;
        output.WriteLine($"{captions} captions: precision {precision:F3} ({truePositives}/{predicted}), recall {recall:F3} ({truePositives}/{expected})");
        Assert.True(captions >= 100, $"the fixture has only {captions} captions");
        Assert.True(recall >= 0.95, $"recall {recall:F3} < 0.95");
        Assert.True(precision >= 0.9, $"precision {precision:F3} < 0.9");
    }
}
