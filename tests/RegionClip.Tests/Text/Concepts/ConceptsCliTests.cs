using System.Text;
using System.Text.Json;
using RegionClip.Tests.Cli;
using RegionClip.Text.Concepts;

namespace RegionClip.Tests.Text.Concepts;

/// <summary>`regionclip concepts`: the three corpus forms, the summary, and one-line errors for bad input.</summary>
public sealed class ConceptsCliTests
{
    private static readonly string[] Captions =
    [
        "A man riding a horse on a beach.", "Two men riding horses.", "A teddy bear on a bed.",
        "Teddy bears on a shelf.", "A dog on a bed.", "A man and a dog.",
    ];

    private static (int Code, JsonElement Json, string Err) Run(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(["concepts", .. args]);
        return (code, code == 0 ? CliRunner.Json(stdout) : default, stderr);
    }

    [SkippableFact]
    public void EveryCorpusFormGivesTheSamePool()
    {
        _ = DebianLexicon.Parser;   // skips without the Debian data
        using var dir = new TempDir("concepts-cli");
        var text = dir.File("captions.txt");
        File.WriteAllLines(text, Captions);
        var jsonl = dir.File("captions.jsonl");
        File.WriteAllLines(jsonl, Captions.Select((c, i) => JsonSerializer.Serialize(new { image_id = i, caption = c })));
        var coco = dir.WriteJson("captions.json", new
        {
            images = Captions.Select((_, i) => new { id = i + 1, file_name = $"{i}.jpg", width = 8, height = 8 }),
            annotations = Captions.Select((c, i) => new { id = i + 1, image_id = i + 1, caption = c }),
        });
        string? expected = null;
        foreach (var (file, format) in new[] { (text, "text"), (jsonl, "jsonl"), (coco, "coco-captions") })
        {
            var pool = dir.File($"pool-{format}.txt");
            var (code, json, err) = Run("--captions", file, "--min-count", "2", "--out", pool);
            Assert.True(code == 0, err);
            Assert.Equal(format, json.GetProperty("format").GetString());
            Assert.Equal(Captions.Length, json.GetProperty("captions").GetInt32());
            Assert.Equal(5, json.GetProperty("keptConcepts").GetInt32());
            Assert.Equal(7, json.GetProperty("distinctNouns").GetInt32());
            Assert.True(json.GetProperty("captionsPerSecond").GetDouble() > 0);
            Assert.Equal(pool, json.GetProperty("out").GetString());
            var written = File.ReadAllText(pool);
            Assert.Equal(expected ?? written, written);
            expected = written;
        }
        Assert.Equal("man,3\nbed,2\ndog,2\nhorse,2\nteddy bear,2\n", expected);
        var (_, capped, _) = Run("--captions", text, "--min-count", "1", "--max-concepts", "2", "--out", dir.File("capped.txt"), "--report", dir.File("report.json"));
        Assert.Equal(2, capped.GetProperty("keptConcepts").GetInt32());
        Assert.Equal(capped.GetRawText(), CliRunner.Json(File.ReadAllText(dir.File("report.json"))).GetRawText());
        Assert.Equal(["man", "bed"], RegionClip.Text.ConceptNames.ReadFile(dir.File("capped.txt")));
    }

    [SkippableTheory]
    [InlineData("empty.txt", "", "empty")]
    [InlineData("blank.txt", "\n  \n", "empty")]
    [InlineData("oops.json", "{\"oops\": [1, 2, 3]}", "\"caption\"")]
    [InlineData("array.json", "[1, 2, 3]", "found an array")]
    [InlineData("nocaptions.json", "{\n  \"images\": []\n}", "\"annotations\"")]
    [InlineData("latin1.txt", "caf\u00e9 on a table", "not UTF-8")]
    public void BadCorpusFilesFailInOneLineNamingTheFile(string name, string content, string reason)
    {
        _ = DebianLexicon.Parser;
        using var dir = new TempDir("concepts-bad");
        var path = dir.File(name);
        File.WriteAllBytes(path, name == "latin1.txt" ? Encoding.Latin1.GetBytes(content) : Encoding.UTF8.GetBytes(content));
        var (code, _, err) = Run("--captions", path, "--out", dir.File("pool.txt"));
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(name, err);
        Assert.Contains(reason, err);
        Assert.DoesNotContain("   at ", err);   // no stack trace
        Assert.False(File.Exists(dir.File("pool.txt")));
    }

    [Theory]
    [InlineData("--min-count", "0")]
    [InlineData("--max-concepts", "0")]
    public void BadLimitsAreRefusedInOneLine(string option, string value)
    {
        var (code, _, err) = Run("--captions", "unused.txt", option, value, "--out", "unused-pool.txt");
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(option, err);
    }

    [Fact]
    public void MissingWordNetNamesThePackageAndTheCommand()
    {
        using var dir = new TempDir("concepts-nownet");
        var captions = dir.File("captions.txt");
        File.WriteAllText(captions, "A dog.\n");
        var before = Environment.GetEnvironmentVariable(LexiconFiles.WordNetVariable);
        Environment.SetEnvironmentVariable(LexiconFiles.WordNetVariable, dir.File("no-wordnet"));
        try
        {
            var (code, _, err) = Run("--captions", captions, "--out", dir.File("pool.txt"));
            Assert.Equal(1, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.Contains("wordnet-base", err);
            Assert.Contains("apt-get install -y wordnet-base", err);
        }
        finally
        {
            Environment.SetEnvironmentVariable(LexiconFiles.WordNetVariable, before);
        }
    }

    [SkippableFact]
    public void MissingTaggerNamesItsPackage()
    {
        var files = new LexiconFiles("/usr/share/wordnet", "/nonexistent/tagger");
        Skip.IfNot(File.Exists(files.IndexNoun), "wordnet-base is not installed: skipped");
        var e = Assert.Throws<FileNotFoundException>(() => CaptionParser.Load(files));
        Assert.Contains("liblingua-en-tagger-perl", e.Message);
    }
}
