using RegionClip.Torch.Serialization;
using static RegionClip.Torch.Tests.Serialization.TorchZip;

namespace RegionClip.Torch.Tests.Serialization;

/// <summary>
/// TorchScript archives are read by the restricted unpickler, not torch::jit::load: the weights
/// come from data.pkl, and the archive's code is never compiled or run (issue 13, item 10).
/// </summary>
public class TorchScriptReaderTests : TorchTest
{
    private static string Fixture(string name) => PythonToCSharpTests.Fixture(name);

    [Fact]
    public void WeightsLoadWhateverTheArchivesCodeSays()
    {
        // Code that would not even compile (and constants that are not a pickle): torch::jit::load
        // fails on this archive; the weights are all in data.pkl and data/.
        using var dir = Fixtures.TempDir();
        var records = Records(Fixture("torchscript.pt"));
        Assert.Contains(records, r => r.Name.Contains("/code/", StringComparison.Ordinal));
        var garbage = "import os\nos.system('touch /tmp/pwned')\nthis is not TorchScript (\n"u8.ToArray();
        var path = dir.File("garbage-code.pt");
        Write(path, records.Select(r => r.Name.Contains("/code/", StringComparison.Ordinal) || r.Name.EndsWith("/constants.pkl", StringComparison.Ordinal)
            ? (r.Name, garbage) : r));

        Assert.Equal(CheckpointKind.TorchScript, Checkpoint.Identify(path));
        var expected = Checkpoint.LoadStateDict(Fixture("torchscript.pt"));
        var actual = Checkpoint.LoadStateDict(path);
        try
        {
            Assert.Equal(expected.Keys, actual.Keys);
            foreach (var (name, t) in expected) Assert.True(t.equal(actual[name]), name);
        }
        finally
        {
            Checkpoint.DisposeTree(expected);
            Checkpoint.DisposeTree(actual);
        }
    }

    private static string WriteScript(TempDir dir, string name, byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        var path = dir.File(name);
        Write(path, [("m/data.pkl", pickle), ("m/constants.pkl", Pickle(EmptyTuple)), ("m/version", "4\n"u8.ToArray()),
            .. storages.Select(s => ("m/data/" + s.Key, s.Data))]);
        return path;
    }

    /// <summary>cls.__new__(cls) followed by BUILD with {name: value, ...}, as torch.jit.save writes a module.</summary>
    private static IEnumerable<byte> Module(string cls, params (string Name, IEnumerable<byte> Value)[] attributes) =>
    [
        .. Global("__torch__." + cls[..cls.LastIndexOf('.')], cls[(cls.LastIndexOf('.') + 1)..]), .. EmptyTuple, 0x81,
        (byte)'}', (byte)'(', .. attributes.SelectMany(a => Unicode(a.Name).Concat(a.Value)), (byte)'u', (byte)'b',
    ];

    [Fact]
    public void ModulesAreAttributeContainersWalkedInStateDictOrder()
    {
        using var dir = Fixtures.TempDir();
        var pickle = Pickle(Module("model.Net",
            ("training", [0x89]),
            ("child", Module("model.Block", ("weight", Tensor("1", 2, [2], [1])), ("training", [0x89]))),
            ("cache", [(byte)'}', .. Unicode("x"), .. Tensor("0", 2, [2], [1]), (byte)'s']),  // a dict, not a module
            ("scale", Tensor("0", 2, [2], [1]))));
        var path = WriteScript(dir, "modules.pt", pickle, ("0", new byte[8]), ("1", new byte[8]));
        var state = Checkpoint.LoadStateDict(path);
        try
        {
            Assert.Equal(["scale", "child.weight"], state.Keys);  // own tensors first, then children
            Assert.False(state["scale"].requires_grad);
        }
        finally
        {
            Checkpoint.DisposeTree(state);
        }
    }

    [Fact]
    public void AForbiddenGlobalIsRefusedAsInAnyCheckpoint()
    {
        using var dir = Fixtures.TempDir();
        var pickle = Pickle(Module("model.Net", ("x", [.. Global("builtins", "eval"), .. Unicode("1"), .. Tuple1, (byte)'R'])));
        var path = WriteScript(dir, "eval.pt", pickle);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.DisposeTree(torch.load(path)));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("'builtins.eval'", e.Message);
        Assert.Contains("nothing in the file was executed", e.Message);
    }

    [Fact]
    public void AnArchiveHoldingNoModuleIsRefused()
    {
        using var dir = Fixtures.TempDir();
        var path = WriteScript(dir, "list.pt", Pickle([(byte)']']));
        var e = Assert.Throws<InvalidDataException>(() => torch.load(path));
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("not a module", e.Message);
    }
}
