using RegionClip.Torch.Serialization;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>C# -> C# round trips of every value kind, and the guarantees of torch.save.</summary>
public class RoundTripTests : TorchTest
{
    [Fact]
    public void EveryValueKindRoundTrips()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("all.pt");
        var value = CSharpToPythonTests.Build();
        value["nan"] = double.NaN;
        value["neg_zero"] = -0.0;
        value["int"] = 5;          // int and float widen to long and double
        value["float"] = 0.5f;
        value["requires_grad"] = torch.ones(2).requires_grad_();
        try
        {
            torch.save(value, path);
            var loaded = (OrderedDictionary<string, object?>)torch.load(path)!;
            try
            {
                Assert.Equal(value.Keys, loaded.Keys);
                Assert.True(double.IsNaN((double)loaded["nan"]!));
                Assert.True(double.IsNegative((double)loaded["neg_zero"]!));
                Assert.Equal(5L, loaded["int"]);
                Assert.Equal(0.5, loaded["float"]);
                Assert.True(((Tensor)loaded["requires_grad"]!).requires_grad);
                Assert.Equal(new object?[] { 3L, "b" }, loaded["csharp_tuple"]);
                foreach (var key in value.Keys.Except(["nan", "neg_zero", "int", "float", "csharp_tuple"]))
                    PythonView.AssertSameValue(value[key], loaded[key], key);
            }
            finally
            {
                Checkpoint.DisposeTree(loaded);
            }
        }
        finally
        {
            Checkpoint.DisposeTree(value);
        }
    }

    [Fact]
    public void ViewsStillShareOneStorageAfterLoading()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("views.pt");
        using (var scope = torch.NewDisposeScope())
        {
            var b = torch.arange(6, ScalarType.Float32).reshape(2, 3);
            torch.save(new OrderedDictionary<string, object?> { ["base"] = b, ["t"] = b.t(), ["col"] = b.select(1, 2) }, path);
        }
        var loaded = (OrderedDictionary<string, object?>)torch.load(path)!;
        try
        {
            var (b, t, col) = ((Tensor)loaded["base"]!, (Tensor)loaded["t"]!, (Tensor)loaded["col"]!);
            Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.data<float>());
            Assert.Equal(new float[] { 2, 5 }, col.data<float>());
            Assert.Equal(new long[] { 3 }, col.stride());
            b.fill_(9);
            Assert.All(t.data<float>(), v => Assert.Equal(9f, v));
            Assert.All(col.data<float>(), v => Assert.Equal(9f, v));
        }
        finally
        {
            Checkpoint.DisposeTree(loaded);
        }
    }

    [Fact]
    public void StateDictRoundTripsPlainAndWrapped()
    {
        using var dir = Fixtures.TempDir();
        var state = Checkpoint.LoadStateDict(PythonToCSharpTests.Fixture("state_dict.pt"));
        try
        {
            foreach (var wrap in new[] { false, true })
            {
                var path = dir.File($"state-{wrap}.pt");
                Checkpoint.SaveStateDict(state, path, wrapInModel: wrap);
                var back = Checkpoint.LoadStateDict(path);
                try
                {
                    Assert.Equal(state.Keys, back.Keys);
                    foreach (var (k, v) in state) PythonView.AssertSameValue(v, back[k], k);
                }
                finally
                {
                    Checkpoint.DisposeTree(back);
                }
                var root = (OrderedDictionary<string, object?>)torch.load(path)!;
                try { Assert.Equal(wrap ? ["model"] : state.Keys.ToArray(), root.Keys); }
                finally { Checkpoint.DisposeTree(root); }
            }
        }
        finally
        {
            Checkpoint.DisposeTree(state);
        }
    }

    [Fact]
    public void TopLevelTensorAndScalarsRoundTrip()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("one.pt");
        using (var t = torch.arange(5, ScalarType.Int64)) torch.save(t, path);
        using (var back = (Tensor)torch.load(path)!) Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, back.data<long>());
        foreach (var v in new object?[] { null, true, 42L, 2.5, "just text" })
        {
            torch.save(v, path);
            Assert.Equal(v, torch.load(path));
        }
    }

    [Fact]
    public void SaveReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("model.pt");
        File.WriteAllText(path, "old contents");
        using (var t = torch.ones(3)) torch.save(new OrderedDictionary<string, object?> { ["w"] = t }, path);
        Assert.Equal([path], Directory.GetFiles(dir.FullName));
        var back = Checkpoint.LoadStateDict(path);
        try { Assert.Equal(new float[] { 1, 1, 1 }, back["w"].data<float>()); }
        finally { Checkpoint.DisposeTree(back); }
    }

    [Fact]
    public void FailedSaveLeavesTheExistingFileUntouched()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("model.pt");
        File.WriteAllText(path, "old contents");
        var e = Assert.Throws<ArgumentException>(() => torch.save(new OrderedDictionary<string, object?> { ["when"] = DateTime.Now }, path));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("DateTime", e.Message);
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.FullName));
    }

    [Fact]
    public void FailedSaveAfterWritingLeavesNoTemporaryFile()
    {
        // The bytes are written, then publishing fails: the target is a directory.
        using var dir = Fixtures.TempDir();
        var target = dir.File("taken");
        Directory.CreateDirectory(target);
        using (var t = torch.ones(2)) Assert.ThrowsAny<IOException>(() => torch.save(t, target));
        Assert.Empty(Directory.GetFiles(dir.FullName));
        Assert.True(Directory.Exists(target));
    }

    [Fact]
    public void MixedDictKeysAreRejectedBeforeWriting()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("bad.pt");
        var d = new Dictionary<object, object?> { ["a"] = 1L, [2L] = 2L };
        Assert.Throws<ArgumentException>(() => torch.save(d, path));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.FullName));
    }

    [Fact]
    public void SavedFileIsAPlainTorchSaveZip()
    {
        using var dir = Fixtures.TempDir();
        var path = dir.File("plain.pt");
        using (var t = torch.ones(2)) torch.save(new OrderedDictionary<string, object?> { ["w"] = t, ["l"] = new List<object?> { 1L } }, path);
        Assert.Equal(CheckpointKind.TorchSave, Checkpoint.Identify(path));
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        var names = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains("archive/data.pkl", names);
        Assert.Contains("archive/data/0", names);
        Assert.Contains("archive/version", names);
        // No TorchScript type tags: Python needs nothing but torch to read it.
        using var pkl = new StreamReader(zip.GetEntry("archive/data.pkl")!.Open());
        Assert.DoesNotContain("restore_type_tag", pkl.ReadToEnd());
    }
}
