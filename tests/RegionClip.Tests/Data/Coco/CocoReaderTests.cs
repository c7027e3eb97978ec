using System.Text;
using RegionClip.Data.Coco;

namespace RegionClip.Tests.Data.Coco;

public sealed class CocoReaderTests
{
    private const string Valid = """
        {"info": {"year": 2017}, "images": [{"id": 5, "file_name": "a.jpg", "width": 640, "height": 480, "license": 1},
                    {"id": 2, "file_name": "b.jpg", "width": 320, "height": 200}],
         "annotations": [{"id": 10, "image_id": 5, "category_id": 3, "bbox": [1, 2.5, 3, 4], "area": 12.0, "iscrowd": 0,
                          "segmentation": [[1, 2, 3, 4, 5, 6]]},
                         {"id": 11, "image_id": 5, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 70, "iscrowd": 1,
                          "segmentation": {"counts": [1, 2, 3], "size": [480, 640]}},
                         {"id": 12, "image_id": 2, "category_id": 3, "bbox": [5, 5, 1, 1], "area": 1}],
         "categories": [{"id": 3, "name": "dog", "supercategory": "animal"}, {"id": 1, "name": "person"}]}
        """;

    [Fact]
    public void ReadsImagesCategoriesAndAnnotationsInFileOrder()
    {
        using var dir = Paths.TempDir();
        var d = CocoDataset.Load(Write(dir, "gt.json", Valid));
        Assert.Equal([5L, 2], d.Images.Select(i => i.Id));
        Assert.Equal(new CocoImage(5, "a.jpg", 640, 480), d.Image(5));
        Assert.Equal(["dog", "person"], d.Categories.Select(c => c.Name));
        Assert.Null(d.Category(1).Frequency);
        Assert.Equal([10L, 11, 12], d.Annotations.Select(a => a.Id));
        Assert.Equal([10L, 11], d.AnnotationsOf(5).Select(a => a.Id));
        Assert.Equal([1, 2.5, 3, 4], d.Annotations[0].Bbox);
        Assert.True(d.Annotations[1].IsCrowd);
        Assert.False(d.Annotations[2].IsCrowd);  // iscrowd absent: 0
        Assert.Equal(70.0, d.Annotations[1].Area);
        Assert.False(d.IsLvis);
        Assert.Null(d.NegativeCategoryIds(5));
    }

    [Fact]
    public void ReadsLvisFields()
    {
        using var dir = Paths.TempDir();
        var d = CocoDataset.Load(Write(dir, "lvis.json", """
            {"images": [{"id": 1, "coco_url": "http://images.cocodataset.org/val2017/000000000139.jpg", "width": 4, "height": 3,
                         "neg_category_ids": [2], "not_exhaustive_category_ids": [1]}],
             "annotations": [],
             "categories": [{"id": 1, "name": "a", "frequency": "r", "synset": "a.n.01"}, {"id": 2, "name": "b", "frequency": "f"}]}
            """));
        Assert.True(d.IsLvis);
        Assert.Equal("000000000139.jpg", d.Image(1).FileName);
        Assert.Equal([2L], d.NegativeCategoryIds(1)!);
        Assert.Equal([1L], d.NotExhaustiveCategoryIds(1)!);
        Assert.Equal(["r", "f"], d.Categories.Select(c => c.Frequency));
    }

    [Theory]
    [InlineData("\"bbox\": [1, 2.5, 3, 4]", "\"bbox\": \"1,2,3,4\"", "annotations[0] (id 10)", "\"bbox\" must be an array")]
    [InlineData("\"bbox\": [1, 2.5, 3, 4]", "\"bbox\": [1, 2, 3]", "annotations[0] (id 10)", "4 numbers")]
    [InlineData("\"bbox\": [1, 2.5, 3, 4]", "\"bbox\": [1, 2, -3, 4]", "annotations[0] (id 10)", "negative width or height")]
    [InlineData("\"bbox\": [1, 2.5, 3, 4]", "\"bbox\": [1, 2, 1e999, 4]", "annotations[0] (id 10)", "non-finite")]
    [InlineData("\"bbox\": [1, 2.5, 3, 4]", "\"bbox\": [1, 2, null, 4]", "annotations[0] (id 10)", "must hold numbers")]
    [InlineData("\"area\": 12.0", "\"area\": -12.0", "annotations[0] (id 10)", "\"area\" must not be negative")]
    [InlineData("\"area\": 12.0,", "", "annotations[0] (id 10)", "missing field \"area\"")]
    [InlineData("\"id\": 10,", "\"id\": \"10\",", "annotations[0]", "\"id\" must be an integer, found the string \"10\"")]
    [InlineData("\"iscrowd\": 0,", "\"iscrowd\": 2,", "annotations[0] (id 10)", "\"iscrowd\" must be 0 or 1")]
    [InlineData("\"image_id\": 5, \"category_id\": 3", "\"image_id\": 9, \"category_id\": 3", "annotations[0] (id 10)", "\"image_id\" 9 is not the id of any image")]
    [InlineData("\"image_id\": 5, \"category_id\": 3", "\"image_id\": 5, \"category_id\": 4", "annotations[0] (id 10)", "\"category_id\" 4 is not the id of any category")]
    [InlineData("\"id\": 12,", "\"id\": 10,", "annotations[2] (id 10)", "duplicate id (also annotations[0])")]
    [InlineData("{\"id\": 2,", "{\"id\": 5,", "images[1] (id 5)", "duplicate id (also images[0])")]
    [InlineData("{\"id\": 1, \"name\"", "{\"id\": 3, \"name\"", "categories[1] (id 3)", "duplicate id (also categories[0])")]
    [InlineData("\"width\": 320,", "\"width\": 320.5,", "images[1] (id 2)", "\"width\" must be a non-negative integer")]
    [InlineData("\"width\": 320, ", "", "images[1] (id 2)", "missing field \"width\"")]   // file_name is optional: evaluation does not need it
    [InlineData("\"name\": \"person\"", "\"title\": \"person\"", "categories[1] (id 1)", "missing field \"name\"")]
    [InlineData("\"categories\": [", "\"categories\": {\"x\": 1}, \"y\": [", "gt.json", "\"categories\" must be an array, found an object")]
    [InlineData("{\"id\": 2, \"file_name\"", "[\"id\", 2, \"file_name\"", "images[1]", "must be an object, found an array")]
    [InlineData("\"iscrowd\": 0,", "\"iscrowd\": 0,,", "gt.json", "invalid JSON at line 3")]
    [InlineData("\"bbox\": [1, 2.5, 3, 4]", "\"bbox\": [1, 2, NaN, 4]", "gt.json", "invalid JSON at line 3")]
    public void MalformedInputsNameTheFileRecordAndField(string find, string replace, string where, string what)
    {
        Assert.Contains(find, Valid);
        using var dir = Paths.TempDir();
        var path = Write(dir, "gt.json", ReplaceFirst(Valid, find, replace));
        var e = Assert.Throws<InvalidDataException>(() => CocoDataset.Load(path));
        Assert.StartsWith("gt.json: ", e.Message);
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void TruncatedFilesAreRefusedAtEveryLength()
    {
        using var dir = Paths.TempDir();
        var bytes = Encoding.UTF8.GetBytes(Valid.TrimEnd());
        // Every proper prefix is incomplete JSON: each must fail with a message naming the file, never crash or hang.
        for (int n = 0; n < bytes.Length; n += 7)
        {
            var path = dir.File("cut.json");
            File.WriteAllBytes(path, bytes[..n]);
            var e = Assert.Throws<InvalidDataException>(() => CocoDataset.Load(path));
            Assert.StartsWith("cut.json: ", e.Message);
        }
    }

    [Fact]
    public void CorruptedBytesGiveAnErrorNamingTheFileOrLoad()
    {
        // Seeded corruption of the valid file: any outcome but a clear InvalidDataException (or a clean load,
        // when the change happens to keep it valid) is a failure.
        using var dir = Paths.TempDir();
        var bytes = Encoding.UTF8.GetBytes(Valid);
        var random = new Random(5);
        byte[] alphabet = Encoding.UTF8.GetBytes("{}[],:\"0123456789.-eE truefalsnul\\");
        for (int trial = 0; trial < 400; trial++)
        {
            var copy = (byte[])bytes.Clone();
            for (int i = 0, n = 1 + trial % 3; i < n; i++) copy[random.Next(copy.Length)] = alphabet[random.Next(alphabet.Length)];
            var path = dir.File("corrupt.json");
            File.WriteAllBytes(path, copy);
            try
            {
                CocoDataset.Load(path);
                CocoCategoriesFile.Load(path);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("corrupt.json: ", e.Message);
            }
        }
    }

    [Fact]
    public void MissingSectionsAndWrongRootAreNamed()
    {
        using var dir = Paths.TempDir();
        Assert.Contains("missing the \"images\" array",
            Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Write(dir, "a.json", """{"categories": []}"""))).Message);
        Assert.Contains("missing the \"categories\" array",
            Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Write(dir, "b.json", """{"images": []}"""))).Message);
        Assert.Contains("found an array",
            Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Write(dir, "c.json", "[]"))).Message);
        Assert.Contains("no such file", Assert.Throws<FileNotFoundException>(() => CocoDataset.Load(dir.File("none.json"))).Message);
    }

    [Fact]
    public void InvalidUtf8IsNamed()
    {
        using var dir = Paths.TempDir();
        var path = dir.File("utf8.json");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("""{"images": [{"id": 1, "file_name": "a"""), 0xFF, 0xFE,
            .. Encoding.UTF8.GetBytes("""b.jpg", "width": 1, "height": 1}], "categories": []}""")]);
        var e = Assert.Throws<InvalidDataException>(() => CocoDataset.Load(path));
        Assert.Equal("utf8.json: images[0] (id 1): field \"file_name\" is not valid UTF-8 text", e.Message);
    }

    [Fact]
    public void LvisListsMustNameKnownCategories()
    {
        using var dir = Paths.TempDir();
        var e = Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Write(dir, "l.json", """
            {"images": [{"id": 1, "file_name": "x", "width": 1, "height": 1, "neg_category_ids": [1, 77]}],
             "categories": [{"id": 1, "name": "a", "frequency": "r"}]}
            """)));
        Assert.Contains("images[0] (id 1)", e.Message);
        Assert.Contains("\"neg_category_ids\" names category 77", e.Message);
        e = Assert.Throws<InvalidDataException>(() => CocoDataset.Load(Write(dir, "m.json", """
            {"images": [], "categories": [{"id": 1, "name": "a", "frequency": "rare"}]}
            """)));
        Assert.Contains("categories[0] (id 1): field \"frequency\" must be", e.Message);
    }

    [Fact]
    public void ValuesLargerThanTheReadBufferStreamThrough()
    {
        // A 3 MB segmentation (skipped token by token across refills), a 2 MB file name (one token longer than
        // the 1 MB buffer) and a byte-order mark.
        using var dir = Paths.TempDir();
        var polygon = string.Join(", ", Enumerable.Range(0, 400_000).Select(i => (i % 640).ToString()));
        var longName = new string('n', 2_000_000);
        var json = "\uFEFF" + $$"""
            {"annotations": [{"segmentation": [[{{polygon}}]], "id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], "area": 4}],
             "images": [{"id": 1, "file_name": "{{longName}}", "width": 2, "height": 2}],
             "categories": [{"id": 1, "name": "a"}]}
            """;
        var d = CocoDataset.Load(Write(dir, "big.json", json));
        Assert.Equal(longName, d.Image(1).FileName);
        Assert.Equal([0, 0, 2, 2], d.AnnotationsOf(1)[0].Bbox);
    }

    [Fact]
    public void CategoriesFileReadsOnlyTheCategories()
    {
        using var dir = Paths.TempDir();
        Assert.Equal(["dog", "person"], CocoCategoriesFile.Load(Write(dir, "gt.json", Valid)).Select(c => c.Name));
        // Reading stops after "categories": what follows is never parsed (here it is cut off mid-file).
        var cut = Write(dir, "cut.json", """{"categories": [{"id": 4, "name": "cat", "frequency": "c"}], "annotations": [{"id": """);
        Assert.Equal([new CocoCategory(4, "cat", "c")], CocoCategoriesFile.Load(cut));
        var e = Assert.Throws<InvalidDataException>(() => CocoCategoriesFile.Load(Write(dir, "x.json", """{"images": []}""")));
        Assert.Contains("x.json: missing the \"categories\" array", e.Message);
    }

    [Fact]
    public void ResultsRoundTripExactlyAndAreWrittenAtomically()
    {
        using var dir = Paths.TempDir();
        var path = dir.File("sub/results.json");
        CocoDetection[] dets =
        [
            new(5, 3, [0.1, 1e-7, 1234.5678901234567, 0.30000000000000004], 0.9999999999999998),
            new(2, 1, [0, 0, 0, 0], 0),
        ];
        CocoResultsFile.Save(path, dets);
        Assert.Equal(["results.json"], Directory.GetFiles(dir.File("sub")).Select(Path.GetFileName));
        var back = CocoResultsFile.Load(path);
        Assert.Equal(dets.Length, back.Count);
        for (int i = 0; i < dets.Length; i++)
        {
            Assert.Equal((dets[i].ImageId, dets[i].CategoryId, dets[i].Score), (back[i].ImageId, back[i].CategoryId, back[i].Score));
            Assert.Equal(dets[i].Bbox, back[i].Bbox);
        }
    }

    [Theory]
    [InlineData("""{"image_id": 1}""", "expected COCO results (a JSON array of detections), found an object")]
    [InlineData("""[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}]""", "results[0]: missing field \"score\"")]
    [InlineData("""[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}, 7]""", "results[1]: must be an object, found a number")]
    [InlineData("""[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": "high"}]""", "results[0]: field \"score\" must be a number")]
    [InlineData("""[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}""", "invalid JSON")]
    public void MalformedResultsAreNamed(string json, string what)
    {
        using var dir = Paths.TempDir();
        var e = Assert.Throws<InvalidDataException>(() => CocoResultsFile.Load(Write(dir, "dt.json", json)));
        Assert.StartsWith("dt.json: ", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void DetectionsOfUnknownImagesAreRefusedByTheEvaluators()
    {
        using var dir = Paths.TempDir();
        var gt = CocoDataset.Load(Write(dir, "gt.json", Valid));
        var dets = CocoResultsFile.Load(Write(dir, "dt.json", """
            [{"image_id": 5, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5},
             {"image_id": 6, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5}]
            """));
        var e = Assert.Throws<InvalidDataException>(() => RegionClip.Evaluation.CocoEvaluator.Evaluate(gt, dets, "dt.json"));
        Assert.Equal("dt.json: results[1]: field \"image_id\" 6 is not an image of gt.json", e.Message);
        Assert.Throws<InvalidDataException>(() => RegionClip.Evaluation.CocoEvaluator.Evaluate(gt, [new CocoDetection(5, 3, [0, 0, double.NaN, 1], 1)]));
    }

    [Fact]
    public void ReadsCaptions()
    {
        using var dir = Paths.TempDir();
        var c = CocoCaptions.Load(Write(dir, "captions.json", """
            {"info": {}, "images": [{"id": 7, "file_name": "x.jpg", "width": 3, "height": 2}, {"id": 8, "file_name": "y.jpg"}],
             "annotations": [{"image_id": 7, "id": 1, "caption": "A dog."}, {"image_id": 7, "id": 2, "caption": "A brown dog."},
                             {"image_id": 8, "id": 3, "caption": "A cat \u00e9."}]}
            """));
        Assert.Equal(3, c.Captions.Count);
        Assert.Equal(["A dog.", "A brown dog."], c.CaptionsOf(7).Select(x => x.Caption));
        Assert.Equal("A cat é.", c.CaptionsOf(8)[0].Caption);
        var e = Assert.Throws<InvalidDataException>(() => CocoCaptions.Load(Write(dir, "bad.json", """
            {"images": [{"id": 7, "file_name": "x.jpg"}], "annotations": [{"image_id": 9, "id": 1, "caption": "?"}]}
            """)));
        Assert.Equal("bad.json: annotations[0] (id 1): field \"image_id\" 9 is not the id of any image", e.Message);
    }

    private static string Write(TempDir dir, string name, string content)
    {
        var path = dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string ReplaceFirst(string s, string find, string replace)
    {
        int i = s.IndexOf(find, StringComparison.Ordinal);
        return s[..i] + replace + s[(i + find.Length)..];
    }
}
