using System.Text;
using RegionClip.Common;

namespace RegionClip.Synthetic;

/// <summary>
/// Web-style captions for a scene: they name only some of the visible objects (the more visible,
/// the likelier), with synonyms, correct plurals and counts, optional size and position words, and
/// filler ("a photo of …", "#art"). Nothing that is not visible is ever named.
/// </summary>
public static class CaptionWriter
{
    private static readonly string[] Templates =
    [
        "a photo of {0}", "a picture of {0}", "an image of {0}", "a drawing of {0}", "{0}", "{0}",
        "{0} on a {1} background", "there is {0} in this picture", "close-up of {0}", "image may contain: {0}",
        "my drawing of {0} lol", "{0} #art #illustration", "cartoon of {0}, stock vector", "look at {0}!",
        "i found {0} here", "{0} and some random lines", "a {1} scene with {0}", "simple clipart of {0}",
        "{0}, digital art", "found this: {0}", "just {0} hanging out", "this is {0}", "here we see {0}",
        "{0} in front of a {1} wall", "screenshot with {0}", "nice shot of {0}", "random shapes, {0}",
    ];

    private static readonly string[] BackgroundWords = ["noisy", "colorful", "cluttered", "messy", "busy", "grainy", "streaky"];
    private static readonly string[] Joiners = [" and ", " next to ", " with ", " beside ", " near ", " and "];
    private static readonly string[] NumberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

    /// <summary>The phrase for a category's instances in a caption, with how many there are.</summary>
    private sealed record Group(int CategoryIndex, int Count, double Salience, double CentreX);

    /// <summary>One caption for the visible objects of a <paramref name="width"/>-wide image.</summary>
    public static string Write(IReadOnlyList<ObjectAnnotation> visible, int width, Prng rng)
    {
        ArgumentNullException.ThrowIfNull(visible);
        if (visible.Count == 0) return Capitalise(rng, $"a {rng.Pick(BackgroundWords)} picture of nothing in particular");
        var groups = visible.GroupBy(a => a.CategoryIndex)
            .Select(g => new Group(g.Key, g.Count(), Math.Sqrt(g.Sum(a => (double)a.Area)), g.Average(a => a.X + a.Width / 2.0)))
            .OrderBy(g => g.CategoryIndex)
            .ToList();
        int mention = Math.Min(groups.Count, 1 + rng.PickWeighted([0.45, 0.35, 0.2]));
        var chosen = new List<Group>();
        for (int i = 0; i < mention; i++)
        {
            var pick = rng.PickWeighted(groups.Select(g => g.Salience).ToArray());
            chosen.Add(groups[pick]);
            groups.RemoveAt(pick);
        }
        var phrases = chosen.Select(g => Phrase(g, visible, width, rng)).ToList();
        var body = phrases.Count switch
        {
            1 => phrases[0],
            2 => phrases[0] + rng.Pick(Joiners) + phrases[1],
            _ => string.Join(", ", phrases.Take(phrases.Count - 1)) + (rng.Chance(0.5) ? ", and " : " and ") + phrases[^1],
        };
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, rng.Pick(Templates), body, rng.Pick(BackgroundWords));
        if (!text.EndsWith('!') && rng.Chance(0.5)) text += ".";
        return Capitalise(rng, text);
    }

    private static string Phrase(Group g, IReadOnlyList<ObjectAnnotation> visible, int width, Prng rng)
    {
        var category = WorldCategories.All[g.CategoryIndex];
        // The canonical name half the time, a synonym otherwise.
        var form = category.Names.Count == 1 || rng.Chance(0.5) ? category.Names[0] : category.Names[1 + rng.NextInt(category.Names.Count - 1)];
        var sb = new StringBuilder();
        if (g.Count == 1)
        {
            var area = visible.First(a => a.CategoryIndex == g.CategoryIndex).Area;
            var size = SizeWord(area, rng);
            var noun = size == null ? form.Singular : size + " " + form.Singular;
            sb.Append(Article(noun)).Append(' ').Append(noun);
            if (rng.Chance(0.2)) sb.Append(Position(g.CentreX, width, rng));
        }
        else
        {
            sb.Append(CountWord(g.Count, rng)).Append(' ').Append(form.Plural);
        }
        return sb.ToString();
    }

    private static string? SizeWord(int area, Prng rng)
    {
        if (!rng.Chance(0.35)) return null;
        if (area < 24 * 24) return rng.Pick(["small", "tiny", "little"]);
        if (area > 140 * 140) return rng.Pick(["big", "large", "huge"]);
        return null;
    }

    private static string CountWord(int count, Prng rng)
    {
        if (count < NumberWords.Length && rng.Chance(0.65)) return NumberWords[count];
        if (count == 2) return rng.Pick(["a pair of", "two", "2"]);
        return count <= 4 ? rng.Pick(["a few", "some", "several"]) : rng.Pick(["many", "lots of", "several", "a bunch of"]);
    }

    private static string Position(double centreX, int width, Prng rng) =>
        centreX < width / 3.0 ? " on the left" : centreX > 2 * width / 3.0 ? " on the right" : rng.Pick([" in the middle", " in the center"]);

    private static string Article(string noun) => "aeiou".Contains(noun[0]) ? "an" : "a";

    private static string Capitalise(Prng rng, string text) => rng.Chance(0.3) ? char.ToUpperInvariant(text[0]) + text[1..] : text;
}
