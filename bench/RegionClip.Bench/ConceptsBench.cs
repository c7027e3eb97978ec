using System.Diagnostics;
using System.Globalization;
using RegionClip.Data;
using RegionClip.Text.Concepts;

namespace RegionClip.Bench;

/// <summary>
/// The `concepts` verb: captions parsed into concepts per second (tagger + lemmatiser + compounds +
/// counting), the rate `regionclip concepts` runs at. No PyTorch side: there is nothing to compare.
/// Captions come from --captions FILE or, by default, the test fixture's hand-written captions,
/// repeated to --count.
/// </summary>
internal static class ConceptsBench
{
    public static int Run(string[] args)
    {
        string? file = null;
        int count = 200_000, threads = Environment.ProcessorCount, rounds = 3;
        for (int i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--captions": file = Next(); break;
                case "--count": count = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        var clock = Stopwatch.StartNew();
        var parser = CaptionParser.Load();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loaded WordNet and the tagger tables in {clock.Elapsed.TotalSeconds:F2} s"));
        var source = file is null ? FixtureCaptions() : CaptionCorpus.Load(file).Captions;
        var captions = Enumerable.Range(0, count).Select(i => source[i % source.Count]).ToArray();
        NounPoolBuilder.Count(parser, captions.Take(5000).ToArray(), parallelism: threads);   // JIT warm-up
        Console.WriteLine($"{captions.Length:N0} captions ({source.Count} distinct), {threads} threads, {Environment.ProcessorCount} cores, load average {string.Join(" ", SystemLoad.LoadAverage())}");
        var rates = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            clock.Restart();
            var counts = NounPoolBuilder.Count(parser, captions, parallelism: threads);
            double rate = captions.Length / clock.Elapsed.TotalSeconds;
            rates.Add(rate);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: {rate:N0} captions/s ({counts.DistinctConcepts} concepts)"));
        }
        rates.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median {rates[rates.Count / 2]:N0} captions/s"));
        return 0;
    }

    private static string[] FixtureCaptions()
    {
        var path = Path.Combine(Options.RepoRoot(), "tests", "fixtures", "concepts", "coco_style_captions.txt");
        return File.ReadLines(path).Where(l => !l.StartsWith('#') && l.Contains('|')).Select(l => l[..l.IndexOf('|')].Trim()).ToArray();
    }
}
