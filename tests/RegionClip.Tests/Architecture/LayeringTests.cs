using System.Reflection;

namespace RegionClip.Tests.Architecture;

/// <summary>
/// The library's folders form layers that point down only (docs/architecture.md): a namespace may use
/// namespaces of its own or lower layers, never higher ones, and no set of namespaces may use each
/// other in a cycle. The binding (RegionClip.Torch) never references the library.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Layer of each namespace of the RegionClip assembly, lowest first; sub-namespaces take their parent's layer.</summary>
    internal static readonly (string Namespace, int Layer)[] Layers =
    [
        ("RegionClip.Common", 0),
        ("RegionClip.Text", 1),
        ("RegionClip.Data.Datasets", 3),   // before Data: training datasets build structures from files
        ("RegionClip.Data", 1),
        ("RegionClip.Structures", 2),
        ("RegionClip.Checkpoints", 3),
        ("RegionClip.Modeling.Layers", 4),
        ("RegionClip.Modeling.Clip", 5),
        ("RegionClip.Modeling.Proposals", 6),
        ("RegionClip.Modeling.Detection", 7),
        ("RegionClip.Evaluation", 8),
        ("RegionClip.Visualization", 8),
        ("RegionClip.Synthetic", 8),
        ("RegionClip.Training", 9),
    ];

    private static Assembly Library => typeof(RegionClip.Modeling.Clip.ClipModel).Assembly;

    [Fact]
    public void NoNamespaceOfTheLibraryIsInACycle()
    {
        var graph = TypeDependencies.Between(Library, ns => ns.StartsWith("RegionClip", StringComparison.Ordinal));
        var cycles = Cycles(graph.ToDictionary(kv => kv.Key, kv => (IEnumerable<string>)kv.Value.Keys));
        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join("\n", cycles.Select(c => Describe(c, graph))));
    }

    [Fact]
    public void EveryNamespaceHasALayerAndUsesNoneAboveIt()
    {
        var graph = TypeDependencies.Between(Library, ns => ns.StartsWith("RegionClip", StringComparison.Ordinal));
        var unplaced = graph.Keys.Where(ns => LayerOf(ns) is null).ToList();
        Assert.True(unplaced.Count == 0, $"namespaces without a layer (add them to {nameof(Layers)} and docs/architecture.md): {string.Join(", ", unplaced)}");
        var upward = graph.SelectMany(kv => kv.Value.Where(used => LayerOf(used.Key) > LayerOf(kv.Key))
            .Select(used => $"{kv.Key} (layer {LayerOf(kv.Key)}) → {used.Key} (layer {LayerOf(used.Key)}): {used.Value}")).ToList();
        Assert.True(upward.Count == 0, "upward dependencies:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void TheBindingNeverReferencesTheLibrary()
    {
        var binding = typeof(RegionClip.Torch.Tensor).Assembly;
        Assert.DoesNotContain(binding.GetReferencedAssemblies(), a => a.Name == Library.GetName().Name);
    }

    [Fact]
    public void TheCycleFinderFindsCyclesAndOnlyCycles()
    {
        // The checks above are only as good as this: a two-namespace cycle, a three-namespace one, and a
        // diamond that is no cycle.
        var graph = new Dictionary<string, IEnumerable<string>>
        {
            ["A"] = ["B"], ["B"] = ["A", "C"], ["C"] = ["D"], ["D"] = ["E"], ["E"] = ["C"],
            ["P"] = ["Q", "R"], ["Q"] = ["S"], ["R"] = ["S"], ["S"] = [],
        };
        var cycles = Cycles(graph).Select(c => string.Join("", c.Order())).Order().ToList();
        Assert.Equal(["AB", "CDE"], cycles);
    }

    internal static int? LayerOf(string ns) =>
        Layers.Where(l => ns == l.Namespace || ns.StartsWith(l.Namespace + ".", StringComparison.Ordinal))
              .Select(l => (int?)l.Layer).FirstOrDefault();

    /// <summary>Strongly connected components of more than one node (Tarjan).</summary>
    internal static List<List<string>> Cycles(Dictionary<string, IEnumerable<string>> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<List<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph.TryGetValue(v, out var next) ? next : [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) result.Add(component);
        }
        foreach (var v in graph.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }

    private static string Describe(List<string> cycle, Dictionary<string, Dictionary<string, string>> graph) =>
        string.Join(", ", cycle) + ": " + string.Join("; ", cycle.SelectMany(a => cycle.Where(b => graph[a].ContainsKey(b)).Select(b => graph[a][b])));
}
