using System.CommandLine;
using System.CommandLine.Parsing;
using RegionClip.Common;

namespace RegionClip.Cli;

/// <summary>
/// Finds a "--name" that is no option of the verb. System.CommandLine hands such a token to a verb's
/// positional argument when it takes any (detect's IMAGES), where it would surface as "image
/// '--max-dets' does not exist"; it must be reported as the unknown option it is.
/// </summary>
internal static class UnknownOptions
{
    /// <summary>The error for the first unknown option, naming the closest known one; null when there is none.</summary>
    internal static string? Find(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        // After a bare "--" everything is a value, even "--odd-file-name.png".
        var literal = parse.Tokens.SkipWhile(t => t.Type != TokenType.DoubleDash).Select(t => t.Value).ToHashSet(StringComparer.Ordinal);
        var suspects = parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value)
            .Concat(parse.UnmatchedTokens)
            .Where(v => v.StartsWith("--", StringComparison.Ordinal) && v.Length > 2 && !literal.Contains(v));
        var unknown = suspects.FirstOrDefault();
        if (unknown is null) return null;
        var name = unknown.Split('=', 2)[0];
        var known = KnownNames(parse.CommandResult).ToList();
        var closest = known.MinBy(k => Distance(name, k));
        var verb = VerbOf(parse);
        return $"unknown option '{name}' for '{verb}'" + (closest is null ? "" : $"; did you mean '{closest}'?") +
               $" (see '{verb} --help')";
    }

    /// <summary>"regionclip VERB" of the command line, or "regionclip".</summary>
    internal static string VerbOf(ParseResult parse) =>
        parse.CommandResult.Command.Name is var name && name == "regionclip" ? "regionclip" : $"regionclip {name}";

    /// <summary>Option names (and aliases) of the verb and the recursive ones of its parents.</summary>
    private static IEnumerable<string> KnownNames(CommandResult result)
    {
        foreach (var o in result.Command.Options)
            foreach (var n in o.Aliases.Prepend(o.Name)) yield return n;
        for (var parent = result.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
            foreach (var o in parent.Command.Options.Where(o => o.Recursive))
                foreach (var n in o.Aliases.Prepend(o.Name)) yield return n;
    }

    /// <summary>Edit distance less the shared prefix: a shortened name ("--max-dets") is close to its full one ("--max-detections").</summary>
    private static int Distance(string typed, string candidate)
    {
        int prefix = 0;
        while (prefix < Math.Min(typed.Length, candidate.Length) && typed[prefix] == candidate[prefix]) prefix++;
        return EditDistance.Levenshtein(typed, candidate) - prefix;
    }
}
