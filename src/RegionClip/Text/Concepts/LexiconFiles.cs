namespace RegionClip.Text.Concepts;

/// <summary>
/// Where the caption parser's language data lives: Debian's WordNet database (wordnet-base) and
/// Lingua::EN::Tagger's Penn-Treebank tables (liblingua-en-tagger-perl), read at run time so the
/// project ships no copy of either. $REGIONCLIP_WORDNET_DIR and $REGIONCLIP_TAGGER_DIR point
/// elsewhere (another installation, or a test's empty folder).
/// </summary>
public sealed record LexiconFiles(string WordNetDir, string TaggerDir)
{
    public const string WordNetPackage = "wordnet-base";
    public const string TaggerPackage = "liblingua-en-tagger-perl";
    public const string WordNetVariable = "REGIONCLIP_WORDNET_DIR";
    public const string TaggerVariable = "REGIONCLIP_TAGGER_DIR";

    public string IndexNoun => Path.Combine(WordNetDir, "index.noun");
    public string NounExceptions => Path.Combine(WordNetDir, "noun.exc");
    public string IndexAdjective => Path.Combine(WordNetDir, "index.adj");
    public string Words => Path.Combine(TaggerDir, "words.yml");
    public string Tags => Path.Combine(TaggerDir, "tags.yml");

    /// <summary>The Debian locations, or the folders the environment names.</summary>
    public static LexiconFiles Default => new(
        Environment.GetEnvironmentVariable(WordNetVariable) is { Length: > 0 } w ? w : "/usr/share/wordnet",
        Environment.GetEnvironmentVariable(TaggerVariable) is { Length: > 0 } t ? t : "/usr/share/perl5/Lingua/EN/Tagger");

    /// <summary>True when every file is there.</summary>
    public bool Installed => Missing() is null;

    /// <summary>Throws a one-line FileNotFoundException naming the first missing file, its package and the command that installs it.</summary>
    public LexiconFiles Require()
    {
        if (Missing() is { } m)
            throw new FileNotFoundException(
                $"{m.What} '{m.Path}' is missing: install the Debian package {m.Package} (sudo apt-get install -y {m.Package})", m.Path);
        return this;
    }

    private (string What, string Path, string Package)? Missing()
    {
        foreach (var (what, path, package) in new[]
                 {
                     ("WordNet's noun index", IndexNoun, WordNetPackage),
                     ("WordNet's noun exceptions", NounExceptions, WordNetPackage),
                     ("WordNet's adjective index", IndexAdjective, WordNetPackage),
                     ("the tagger lexicon", Words, TaggerPackage),
                     ("the tagger's tag transitions", Tags, TaggerPackage),
                 })
            if (!File.Exists(path)) return (what, path, package);
        return null;
    }
}
