using RegionClip.Text.Concepts;

namespace RegionClip.Tests.Text.Concepts;

/// <summary>The caption parser over Debian's data, loaded once; tests that need it skip (visibly) where the packages are absent.</summary>
internal static class DebianLexicon
{
    // The Debian paths, not LexiconFiles.Default: a CLI test points the environment at a missing WordNet.
    private static readonly LexiconFiles Files = new("/usr/share/wordnet", "/usr/share/perl5/Lingua/EN/Tagger");
    private static readonly Lazy<CaptionParser> Loaded = new(() => CaptionParser.Load(Files));

    public static CaptionParser Parser
    {
        get
        {
            Skip.IfNot(Files.Installed, $"{LexiconFiles.WordNetPackage} or {LexiconFiles.TaggerPackage} is not installed " +
                                        $"(sudo apt-get install -y {LexiconFiles.WordNetPackage} {LexiconFiles.TaggerPackage}): skipped");
            return Loaded.Value;
        }
    }
}
