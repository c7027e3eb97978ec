using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RegionClip.Data;
using RegionClip.Text.Concepts;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>`regionclip concepts`: a RegionCLIP concept pool ("noun,count") parsed from a caption corpus.</summary>
internal static class ConceptsCommand
{
    internal static Command Create()
    {
        var captions = new Option<string>("--captions") { Description = "Caption corpus: COCO Captions JSON, JSON Lines with a \"caption\" field, or plain text (one caption a line); told apart by content", Required = true };
        var minCount = new Option<int>("--min-count") { Description = "Keep concepts named at least this many times", DefaultValueFactory = _ => 10 };
        var maxConcepts = new Option<int?>("--max-concepts") { Description = "Keep at most this many of the most frequent concepts (default: all)" };
        var output = new Option<string>("--out") { Description = "Pool file to write: 'concept,count' lines, most frequent first (read by extract-concepts --vocab-file)", Required = true };
        var report = new Option<string?>("--report") { Description = "Also write the JSON summary here (it always goes to stdout)" };
        var cmd = new Command("concepts", "Parse the nouns of a caption corpus (Penn-Treebank HMM tagger + WordNet lemmas, noun compounds kept whole) into a concept pool")
        {
            captions, minCount, maxConcepts, output, report,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            int min = pr.GetValue(minCount);
            int? max = pr.GetValue(maxConcepts);
            if (min < 1) throw new ArgumentException($"--min-count must be at least 1, not {min}");
            if (max is < 1) throw new ArgumentException($"--max-concepts must be at least 1, not {max}");
            var parser = CaptionParser.Load();   // first: a missing Debian package fails before the corpus is read
            var corpus = CaptionCorpus.Load(pr.GetValue(captions)!);
            var clock = Stopwatch.StartNew();
            var counts = CliProgress.Run($"parsing {corpus.Captions.Count:N0} captions", corpus.Captions.Count,
                p => NounPoolBuilder.Count(parser, corpus.Captions, p));
            double seconds = clock.Elapsed.TotalSeconds;
            var pool = NounPool.Select(counts.Counts, min, max);
            var path = pr.GetValue(output)!;
            pool.Write(path);
            double rate = seconds > 0 ? counts.Captions / seconds : 0;
            CliOutput.Human.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"kept [bold]{pool.Count}[/] of {counts.DistinctConcepts} concepts from {counts.Captions} captions ({rate:N0} captions/s); wrote {Markup.Escape(path)}"));
            var summary = new
            {
                captions = counts.Captions,
                format = corpus.Format,
                distinctNouns = counts.DistinctConcepts,
                keptConcepts = pool.Count,
                minCount = min,
                maxConcepts = max,
                seconds = Math.Round(seconds, 3),
                captionsPerSecond = Math.Round(rate, 1),
                @out = path,
            };
            if (pr.GetValue(report) is { } r) CliOutput.WriteJson(summary, r);
            CliOutput.WriteJson(summary, null);
            return 0;
        }));
        return cmd;
    }
}
