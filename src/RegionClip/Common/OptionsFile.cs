using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RegionClip.Common;

/// <summary>Marks a string option that names a file or folder: a relative path in a config file is relative to that file's folder.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PathOptionAttribute : Attribute;

/// <summary>
/// The one YAML reader of every trainer's options: a mapping whose keys are the option record's
/// property names in snake_case (<c>learning_rate: 0.002</c>, <c>anchor_sizes: [[16, 32, 64]]</c>), nested
/// mappings for properties that are themselves option records (<c>solver: {lr: 0.1}</c>). Every field is
/// optional and keeps its default when absent; properties marked <see cref="JsonIgnoreAttribute"/> (run
/// switches such as resume) cannot be set. Enums match ignoring case and underscores; paths
/// (<see cref="PathOptionAttribute"/>) are relative to the file's folder. An unknown field (with the closest
/// name), a duplicate key or a value of the wrong type is an error naming the file, the line and the field.
/// </summary>
public static class OptionsFile<TOptions> where TOptions : class, new()
{
    /// <summary>The settable options by their file name (snake_case of the property).</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Fields { get; } = FieldsOf(typeof(TOptions));

    /// <summary>Reads a config file over <paramref name="defaults"/> (the type's defaults when null).</summary>
    public static TOptions Load(string path, TOptions? defaults = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file '{path}' does not exist", path);
        return Parse(File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!, defaults);
    }

    /// <param name="baseDirectory">Relative paths in the text are resolved against this folder.</param>
    public static TOptions Parse(string yaml, string source, string baseDirectory, TOptions? defaults = null)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{source}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}", e);
        }
        var options = Copy(defaults ?? new TOptions());
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" or "~" }) return options;
        if (stream.Documents.Count > 1) throw new InvalidDataException($"{source}: holds {stream.Documents.Count} YAML documents; a config is one mapping");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"{source}:{stream.Documents[0].RootNode.Start.Line}: a config must be a mapping of field: value");
        Fill(options, root, "", source, baseDirectory);
        return options;
    }

    /// <summary>
    /// Command-line overrides over <paramref name="options"/>: each "section.field=value" (the value in YAML
    /// syntax: <c>solver.base_lr=0.01</c>, <c>solver.steps=[300, 400]</c>) is read as that field of a config file
    /// would be, with the same errors; relative paths are relative to <paramref name="baseDirectory"/>.
    /// </summary>
    public static TOptions Override(TOptions options, IEnumerable<string> assignments, string baseDirectory)
    {
        foreach (var assignment in assignments)
        {
            int eq = assignment.IndexOf('=');
            if (eq <= 0) throw new InvalidDataException($"--set '{assignment}': expected section.field=value (e.g. solver.base_lr=0.01)");
            var path = assignment[..eq].Trim().Split('.');
            var yaml = new StringBuilder();
            for (int i = 0; i < path.Length; i++)
                yaml.Append(new string(' ', 2 * i)).Append(path[i]).Append(':').Append(i < path.Length - 1 ? "\n" : " " + assignment[(eq + 1)..].Trim());
            options = Parse(yaml.ToString(), $"--set {assignment}", baseDirectory, options);
        }
        return options;
    }

    private static void Fill(object target, YamlMappingNode mapping, string prefix, string source, string baseDirectory)
    {
        var fields = FieldsOf(target.GetType());
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var at = $"{source}:{keyNode.Start.Line}:{keyNode.Start.Column}";
            if (!fields.TryGetValue(key, out var property))
                throw new InvalidDataException($"{at}: unknown field '{prefix}{key}'{Suggest(key, fields)} (fields{(prefix.Length > 0 ? $" of {prefix.TrimEnd('.')}" : "")}: {string.Join(", ", fields.Keys.Order(StringComparer.Ordinal))})");
            if (IsSection(property.PropertyType))
            {
                if (valueNode is not YamlMappingNode inner)
                    throw new InvalidDataException($"{source}:{valueNode.Start.Line}:{valueNode.Start.Column}: field '{prefix}{key}' is a section: expected a mapping of field: value");
                var section = Copy(property.GetValue(target) ?? Activator.CreateInstance(property.PropertyType)!);
                Fill(section, inner, $"{prefix}{key}.", source, baseDirectory);
                property.SetValue(target, section);
                continue;
            }
            object? value;
            try
            {
                value = Convert(valueNode, property.PropertyType, key);
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{source}:{valueNode.Start.Line}:{valueNode.Start.Column}: field '{prefix}{key}': {e.Message}", e);
            }
            if (value is string s && property.GetCustomAttribute<PathOptionAttribute>() is not null) value = Path.GetFullPath(Path.Combine(baseDirectory, s));
            property.SetValue(target, value);
        }
    }

    private static Dictionary<string, PropertyInfo> FieldsOf(Type type) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.Name != "EqualityContract" && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
        .ToDictionary(p => SnakeCase(p.Name), StringComparer.Ordinal);

    /// <summary>A nested options record: a class with a parameterless constructor that is not a string or an array.</summary>
    private static bool IsSection(Type t) => t.IsClass && t != typeof(string) && !t.IsArray && t.GetConstructor(Type.EmptyTypes) is not null;

    /// <summary>A member-wise copy (as a record's <c>with { }</c>), so the defaults are never changed.</summary>
    private static T Copy<T>(T value) where T : class =>
        (T)typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!.Invoke(value, null)!;

    /// <summary>PascalCase → snake_case ("LearningRate" → "learning_rate").</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && !char.IsUpper(name[i - 1])) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    private static object? Convert(YamlNode node, Type type, string key)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        bool canBeNull = nullable is not null || !type.IsValueType;
        if (node is YamlScalarNode { Style: not ScalarStyle.SingleQuoted and not ScalarStyle.DoubleQuoted, Value: null or "~" or "null" or "" })
        {
            if (canBeNull) return null;
            throw new FormatException($"needs a value (it cannot be null)");
        }
        type = nullable ?? type;
        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            if (node is not YamlSequenceNode seq)
            {
                // anchor_sizes: [16, 32] is shorthand for one level, [[16, 32]].
                if (element.IsArray) return Wrap(Convert(node, element, key)!, element);
                throw new FormatException($"expected a list like [1, 2], got '{Describe(node)}'");
            }
            if (element.IsArray && seq.Children.All(c => c is YamlScalarNode))
                return Wrap(Convert(seq, element, key)!, element);
            var array = Array.CreateInstance(element, seq.Children.Count);
            for (int i = 0; i < seq.Children.Count; i++) array.SetValue(Convert(seq.Children[i], element, $"{key}[{i}]"), i);
            return array;
        }
        if (node is not YamlScalarNode scalar) throw new FormatException($"expected a single value, got '{Describe(node)}'");
        var text = scalar.Value ?? "";
        if (type == typeof(string)) return text;
        if (type == typeof(bool))
            return text.ToLowerInvariant() switch
            {
                "true" or "yes" or "on" => true,
                "false" or "no" or "off" => false,
                _ => throw new FormatException($"'{text}' is not true or false"),
            };
        if (type.IsEnum)
        {
            static string Norm(string s) => s.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
            var match = Enum.GetNames(type).FirstOrDefault(n => Norm(n) == Norm(text));
            return match is not null ? Enum.Parse(type, match)
                : throw new FormatException($"'{text}' is not one of {string.Join(", ", Enum.GetNames(type).Select(SnakeCase))}");
        }
        try
        {
            if (type == typeof(int)) return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (type == typeof(long)) return long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (type == typeof(ulong)) return ulong.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (type == typeof(double))
            {
                var v = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                return double.IsFinite(v) ? v : throw new FormatException($"'{text}' is not a finite number");
            }
        }
        catch (OverflowException)
        {
            throw new FormatException($"'{text}' is out of range for {Friendly(type)}");
        }
        catch (FormatException e) when (!e.Message.StartsWith('\''))
        {
            throw new FormatException($"'{text}' is not {Friendly(type)}");
        }
        throw new InvalidOperationException($"option '{key}' has an unsupported type {type.Name}");
    }

    private static Array Wrap(object inner, Type element)
    {
        var outer = Array.CreateInstance(element, 1);
        outer.SetValue(inner, 0);
        return outer;
    }

    private static string Friendly(Type t) => t == typeof(double) ? "a number" : t == typeof(ulong) ? "a non-negative integer" : "an integer";

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };

    /// <summary>A field of that name in a section below (a key of the flat layout, <c>steps</c> for <c>solver.steps</c>), else the closest name here.</summary>
    private static string Suggest(string key, IReadOnlyDictionary<string, PropertyInfo> fields)
    {
        var nested = InSections(fields, key, "").ToList();
        if (nested.Count > 0) return $" (did you mean {string.Join(" or ", nested.Select(n => $"'{n}'"))}?)";
        var best = fields.Keys.OrderBy(k => EditDistance.Levenshtein(k, key)).First();
        return EditDistance.Levenshtein(best, key) <= Math.Max(2, key.Length / 3) ? $" (did you mean '{best}'?)" : "";
    }

    private static IEnumerable<string> InSections(IReadOnlyDictionary<string, PropertyInfo> fields, string key, string prefix) =>
        fields.Where(f => IsSection(f.Value.PropertyType)).OrderBy(f => f.Key, StringComparer.Ordinal).SelectMany(f =>
        {
            var inner = FieldsOf(f.Value.PropertyType);
            var here = inner.ContainsKey(key) ? [$"{prefix}{f.Key}.{key}"] : Array.Empty<string>();
            return here.Concat(InSections(inner, key, $"{prefix}{f.Key}."));
        });
}
