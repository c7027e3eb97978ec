namespace RegionClip.Text;

/// <summary>
/// Finds CLIP's BPE merges file: an explicit path, then $REGIONCLIP_VOCAB, then the models folder
/// ($REGIONCLIP_MODELS, default ~/.cache/regionclip).
/// </summary>
public static class VocabularyLocator
{
    public const string FileName = "bpe_simple_vocab_16e6.txt.gz";
    public const string EnvironmentVariable = "REGIONCLIP_VOCAB";

    public const string WhereToGetIt =
        "CLIP's vocabulary is the file bpe_simple_vocab_16e6.txt.gz from the openai/CLIP repository (clip/bpe_simple_vocab_16e6.txt.gz); " +
        "pass it with --vocab, set REGIONCLIP_VOCAB, or put it in the models folder ($REGIONCLIP_MODELS, default ~/.cache/regionclip).";

    public static string ModelsFolder =>
        Environment.GetEnvironmentVariable("REGIONCLIP_MODELS") is { Length: > 0 } m
            ? m
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "regionclip");

    /// <summary>The vocabulary path to use, or a FileNotFoundException that says where to get it.</summary>
    public static string Resolve(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return File.Exists(explicitPath) ? explicitPath : throw new FileNotFoundException($"vocabulary '{explicitPath}' (from --vocab) does not exist. {WhereToGetIt}", explicitPath);
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env)
            return File.Exists(env) ? env : throw new FileNotFoundException($"vocabulary '{env}' (from ${EnvironmentVariable}) does not exist. {WhereToGetIt}", env);
        foreach (var name in new[] { FileName, "bpe_simple_vocab_16e6.txt" })
        {
            var candidate = Path.Combine(ModelsFolder, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"no CLIP vocabulary given and none found in {ModelsFolder}. {WhereToGetIt}");
    }
}
