using RegionClip.Torch.Serialization;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// Files the loader must refuse: each gives an exception whose message names the file and says
/// what is wrong, runs nothing and leaks nothing.
/// </summary>
public class RefusalTests : TorchTest
{
    // Where the payloads of the malicious fixtures would write (tools/fixtures/gen_checkpoints.py).
    private const string PayloadMarker = "/tmp/regionclip-pickle-payload-ran";

    private static string Fixture(string name) => PythonToCSharpTests.Fixture(name);

    private static InvalidDataException LoadFails(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(torch.load(path)));
        Assert.Contains($"'{path}'", e.Message);
        return e;
    }

    [Theory]
    [InlineData("malicious_global.pt", "os.system")]                // GLOBAL opcode, protocol 2
    [InlineData("malicious_stack_global.pt", "builtins.eval")]     // STACK_GLOBAL, protocol 4
    [InlineData("malicious_after_tensor.pt", "posix.system")]      // torch.save'd, after a real tensor
    public void MaliciousPickleIsRefusedNamingTheGlobalAndNeverRuns(string name, string global)
    {
        File.Delete(PayloadMarker);
        var e = LoadFails(Fixture(name));
        Assert.Contains($"'{global}'", e.Message);
        Assert.Contains("refused", e.Message);
        Assert.Contains("nothing in the file was executed", e.Message);
        Assert.False(File.Exists(PayloadMarker), "the pickle's payload ran");

        // The state-dict helper refuses the same way.
        var e2 = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(Checkpoint.LoadStateDict(Fixture(name))));
        Assert.Contains($"'{global}'", e2.Message);
        Assert.False(File.Exists(PayloadMarker), "the pickle's payload ran");
    }

    [Fact]
    public void TruncatedFileSaysSo()
    {
        var e = LoadFails(Fixture("truncated.pt"));
        Assert.Contains("truncated", e.Message);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Identify(Fixture("truncated.pt")));
    }

    [Fact]
    public void EveryTruncationOfARealCheckpointFailsCleanly()
    {
        var bytes = File.ReadAllBytes(Fixture("state_dict.pt"));
        using var dir = Fixtures.TempDir();
        var cuts = Enumerable.Range(0, bytes.Length / 37).Select(i => i * 37).Concat(Enumerable.Range(bytes.Length - 40, 40));
        foreach (var cut in cuts)
        {
            var path = dir.File($"cut{cut}.pt");
            File.WriteAllBytes(path, bytes[..cut]);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(torch.load(path)));
            Assert.Contains($"'{path}'", e.Message);
        }
    }

    [Fact]
    public void DamagedTensorBytesAreDetected()
    {
        // The zip records carry CRC-32s; a flipped byte inside a tensor's record must not load silently.
        var bytes = File.ReadAllBytes(Fixture("state_dict.pt"));
        var marker = "data/2"u8.ToArray();
        var header = bytes.AsSpan().IndexOf(marker);
        Assert.True(header > 0);
        using var dir = Fixtures.TempDir();
        var path = dir.File("damaged.pt");
        var damaged = (byte[])bytes.Clone();
        var at = bytes.AsSpan(header).IndexOf("PK"u8) + header;  // local headers follow each record's data
        damaged[at - 3] ^= 0x40;                                  // a byte of record data/2's payload
        File.WriteAllBytes(path, damaged);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(torch.load(path)));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("corrupt", e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void LegacyFormatSaysHowToConvert()
    {
        var e = LoadFails(Fixture("legacy.pt"));
        Assert.Contains("legacy", e.Message);
        Assert.Contains("torch.save(torch.load(f), f2)", e.Message);
    }

    [Theory]
    [InlineData("not_a_checkpoint.png", "\\x89PNG")]
    [InlineData("not_a_checkpoint.txt", "model:")]
    [InlineData("not_a_checkpoint.zip", "zip archive")]
    [InlineData("plain_pickle.pkl", "plain Python pickle")]
    public void NonCheckpointSaysWhatItIs(string name, string hint)
    {
        var e = LoadFails(Fixture(name));
        Assert.Contains("not a torch.save checkpoint", e.Message.Replace("not a PyTorch checkpoint", "not a torch.save checkpoint"));
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public void EmptyFileSaysSo()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("empty.pt");
        File.WriteAllBytes(path, []);
        Assert.Contains("empty", LoadFails(path).Message);
    }

    [Fact]
    public void MissingFileNamesIt()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rc-missing-{Guid.NewGuid():N}.pt");
        var e = Assert.Throws<FileNotFoundException>(() => torch.load(path));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Equal(path, e.FileName);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.LoadStateDict(path));
    }

    [Fact]
    public void DirectoryIsNotACheckpoint()
    {
        using var dir = Fixtures.TempDir();
        var e = Assert.Throws<InvalidDataException>(() => torch.load(dir.FullName));
        Assert.Contains($"'{dir.FullName}'", e.Message);
    }

    [Fact]
    public void NonStateDictIsRejectedByLoadStateDict()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("list.pt");
        using (var t = torch.ones(2)) torch.save(new List<object?> { t, 1L }, path);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadStateDict(path));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("state dict", e.Message);
    }
}
