using System.Reflection;
using System.Reflection.Emit;

namespace RegionClip.Tests.Architecture;

/// <summary>
/// Which namespaces each namespace of an assembly uses, read from the compiled code: signatures
/// (base types, fields, properties, parameters, return types, generic arguments, attributes) and
/// every type, method and field token in the method bodies' IL. Source-level `using` lines would
/// miss fully qualified names and names resolved through an enclosing namespace.
/// </summary>
internal static class TypeDependencies
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                            BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>namespace → (used namespace → an example "Type uses Type" for messages), within <paramref name="assembly"/>.</summary>
    internal static Dictionary<string, Dictionary<string, string>> Between(Assembly assembly, Func<string, bool> include)
    {
        var graph = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = OuterMost(type).Namespace;
            if (from is null || !include(from)) continue;
            var edges = graph.TryGetValue(from, out var e) ? e : graph[from] = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var used in UsedBy(type))
            {
                var to = OuterMost(used).Namespace;
                if (to is null || to == from || used.Assembly != assembly || !include(to)) continue;
                edges.TryAdd(to, $"{OuterMost(type).FullName} uses {used.FullName}");
            }
        }
        return graph;
    }

    private static Type OuterMost(Type t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    private static IEnumerable<Type> UsedBy(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (!found.Add(t)) return;
            if (t.IsConstructedGenericType)
                foreach (var a in t.GetGenericArguments()) Add(a);
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var a in type.GetCustomAttributesData()) Add(a.AttributeType);
        foreach (var f in type.GetFields(Everything)) Add(f.FieldType);
        foreach (var p in type.GetProperties(Everything)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var t in BodyReferences(m)) Add(t);
        }
        return found;
    }

    /// <summary>Declaring types of the members and the types named by tokens in <paramref name="method"/>'s IL.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            int token = op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok
                ? BitConverter.ToInt32(il, i) : 0;
            i += OperandSize(op, il, i);
            if (token == 0) continue;
            Type? found = null;
            try
            {
                var member = module.ResolveMember(token, typeArgs, methodArgs);
                found = member as Type ?? member?.DeclaringType;
                if (member is FieldInfo f) found = f.DeclaringType;
            }
            catch (ArgumentException)
            {
                // A token of a generic context reflection cannot rebuild: its declaring type is still listed by signatures.
            }
            if (found is not null) yield return found;
        }
    }

    private static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
