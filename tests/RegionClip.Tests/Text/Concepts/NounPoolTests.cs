using RegionClip.Text.Concepts;

namespace RegionClip.Tests.Text.Concepts;

public sealed class NounPoolTests
{
    private static readonly Dictionary<string, long> Counts = new()
    {
        ["dog"] = 5, ["cat"] = 5, ["teddy bear"] = 7, ["zebra"] = 1, ["apple"] = 2,
    };

    [Fact]
    public void MostFrequentFirstTiesByNameAndRareOnesDropped()
    {
        var pool = NounPool.Select(Counts, minCount: 2);
        Assert.Equal(["teddy bear", "cat", "dog", "apple"], pool.Entries.Select(e => e.Concept));
        Assert.Equal(["teddy bear", "cat"], NounPool.Select(Counts, minCount: 2, maxConcepts: 2).Entries.Select(e => e.Concept));
    }

    [Fact]
    public void FileRoundTripsAsConceptCommaCount()
    {
        using var dir = new TempDir("noun-pool");
        var path = dir.File("pool.txt");
        NounPool.Select(Counts).Write(path);
        Assert.Equal("teddy bear,7\ncat,5\ndog,5\napple,2\nzebra,1\n", File.ReadAllText(path));
        Assert.Equal(NounPool.Select(Counts).Entries, NounPool.Read(path).Entries);
        Assert.Equal(["teddy bear", "cat", "dog", "apple", "zebra"], RegionClip.Text.ConceptNames.ReadFile(path));   // what --vocab-file reads
        Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp"));
    }

    [Fact]
    public void BadLinesAndLimitsAreRefused()
    {
        using var dir = new TempDir("noun-pool-bad");
        var path = dir.File("bad.txt");
        File.WriteAllText(path, "dog,3\ncat\n");
        var e = Assert.Throws<InvalidDataException>(() => NounPool.Read(path));
        Assert.Contains("bad.txt:2", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => NounPool.Select(Counts, minCount: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NounPool.Select(Counts, maxConcepts: 0));
    }
}
