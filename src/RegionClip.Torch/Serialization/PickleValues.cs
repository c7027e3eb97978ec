using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;
using RegionClip.Torch.Native;

namespace RegionClip.Torch.Serialization;

/// <summary>
/// Converts between libtorch IValues and plain .NET values:
/// Tensor, long, double, bool, string, null, List&lt;object?&gt; (Python list), object?[] (tuple),
/// OrderedDictionary&lt;string, object?&gt; or OrderedDictionary&lt;long, object?&gt; (dict).
/// Saving also accepts any IDictionary, any IEnumerable as a list, C# tuples (ITuple) as tuples,
/// int and float. Loading disposes what it already converted when a later value fails.
/// </summary>
internal static class PickleValues
{
    internal static object? ToManaged(IntPtr v, bool halfToFloat, string where)
    {
        Check.Ok(NativeMethods.rc_ivalue_kind(v, out var kind), "load");
        switch (kind)
        {
            case 0: return null;
            case 1:
            {
                Check.Ok(NativeMethods.rc_ivalue_to_tensor(v, out var t), "load");
                var tensor = Tensor.Wrap(t);
                if (halfToFloat && tensor.dtype is ScalarType.Float16 or ScalarType.BFloat16)
                {
                    using (tensor) return tensor.to(ScalarType.Float32);
                }
                return tensor;
            }
            case 2:
                Check.Ok(NativeMethods.rc_ivalue_to_int(v, out var i), "load");
                return i;
            case 3:
                Check.Ok(NativeMethods.rc_ivalue_to_double(v, out var d), "load");
                return d;
            case 4:
                Check.Ok(NativeMethods.rc_ivalue_to_bool(v, out var b), "load");
                return b != 0;
            case 5: return StringOf(v);
            case 6:
            {
                var list = new List<object?>();
                try
                {
                    foreach (var item in Items(v)) list.Add(item.Use(h => ToManaged(h, halfToFloat, where)));
                }
                catch
                {
                    Checkpoint.DisposeTree(list);
                    throw;
                }
                return list;
            }
            case 7:
            {
                var items = new List<object?>();
                try
                {
                    foreach (var item in Items(v)) items.Add(item.Use(h => ToManaged(h, halfToFloat, where)));
                }
                catch
                {
                    Checkpoint.DisposeTree(items);
                    throw;
                }
                return items.ToArray();
            }
            case 8: return DictToManaged(v, halfToFloat, where);
            default:
                throw new InvalidDataException($"{where}: holds a value of unsupported type '{TypeName(v)}' (only tensors, numbers, strings, lists, tuples and dicts are read)");
        }
    }

    private static object DictToManaged(IntPtr v, bool halfToFloat, string where)
    {
        Check.Ok(NativeMethods.rc_ivalue_len(v, out var n), "load");
        OrderedDictionary<string, object?>? byName = null;
        OrderedDictionary<long, object?>? byIndex = null;
        try
        {
            for (long i = 0; i < n; i++)
            {
                Check.Ok(NativeMethods.rc_ivalue_dict_key(v, i, out var kh), "load");
                var key = new Owned(kh).Use(h => ToManaged(h, false, where));
                Check.Ok(NativeMethods.rc_ivalue_dict_value(v, i, out var vh), "load");
                var value = new Owned(vh).Use(h => ToManaged(h, halfToFloat, where));
                switch (key)
                {
                    case string s when byIndex is null:
                        (byName ??= new()).Add(s, value);
                        break;
                    case long l when byName is null:
                        (byIndex ??= new()).Add(l, value);
                        break;
                    default:
                        Checkpoint.DisposeTree(value);
                        throw new InvalidDataException($"{where}: dict keys must be all strings or all integers (found {key?.GetType().Name ?? "None"})");
                }
            }
        }
        catch
        {
            Checkpoint.DisposeTree(byName);
            Checkpoint.DisposeTree(byIndex);
            throw;
        }
        return (object?)byName ?? (object?)byIndex ?? new OrderedDictionary<string, object?>();
    }

    private static IEnumerable<Owned> Items(IntPtr v)
    {
        Check.Ok(NativeMethods.rc_ivalue_len(v, out var n), "load");
        for (long i = 0; i < n; i++)
        {
            Check.Ok(NativeMethods.rc_ivalue_item(v, i, out var h), "load");
            yield return new Owned(h);
        }
    }

    private static string StringOf(IntPtr v)
    {
        Check.Ok(NativeMethods.rc_ivalue_to_string(v, out var data, out var len), "load");
        unsafe { return Encoding.UTF8.GetString((byte*)data, checked((int)len)); }
    }

    private static unsafe string TypeName(IntPtr v)
    {
        var buf = stackalloc byte[128];
        return NativeMethods.rc_ivalue_type_name(v, buf, 128) == 0 ? Encoding.UTF8.GetString(buf, new ReadOnlySpan<byte>(buf, 128).IndexOf((byte)0)) : "?";
    }

    /// <summary>Builds an IValue; the caller frees the returned handle.</summary>
    internal static IntPtr ToNative(object? value, string path)
    {
        IntPtr o;
        switch (value)
        {
            case null: Check.Ok(NativeMethods.rc_ivalue_none(out o), "save"); return o;
            case Tensor t: Check.Ok(NativeMethods.rc_ivalue_from_tensor(t.Handle, out o), "save", t); return o;
            case bool b: Check.Ok(NativeMethods.rc_ivalue_from_bool(b ? 1 : 0, out o), "save"); return o;
            case long or int or short or byte or sbyte or uint:
                Check.Ok(NativeMethods.rc_ivalue_from_int(Convert.ToInt64(value), out o), "save"); return o;
            case double or float:
                Check.Ok(NativeMethods.rc_ivalue_from_double(Convert.ToDouble(value), out o), "save"); return o;
            case string s: return FromString(s);
            case IDictionary dict: return DictToNative(dict, path);
            case object?[] tuple when value.GetType() == typeof(object[]): return TupleToNative(tuple, path);
            case ITuple tuple: return TupleToNative(Enumerable.Range(0, tuple.Length).Select(i => tuple[i]).ToArray(), path);
            case IEnumerable list: return ListToNative(list, path);
            default:
                throw new ArgumentException($"cannot save a value of type {value.GetType().Name} to '{path}' (tensors, numbers, strings, lists, tuples and dicts only)");
        }
    }

    private static unsafe IntPtr FromString(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        IntPtr o;
        fixed (byte* p = bytes) Check.Ok(NativeMethods.rc_ivalue_from_string(p, bytes.Length, out o), "save");
        return o;
    }

    private static IntPtr DictToNative(IDictionary dict, string path)
    {
        bool intKeys = dict.Count > 0 && dict.Keys.Cast<object>().All(k => k is long or int);
        Check.Ok(NativeMethods.rc_ivalue_dict_new(intKeys ? 2 : 5, out var d), "save");
        try
        {
            var e = dict.GetEnumerator();
            while (e.MoveNext())
            {
                if (!intKeys && e.Key is not string)
                    throw new ArgumentException($"cannot save dict key of type {e.Key.GetType().Name} to '{path}' (keys must be all strings or all integers)");
                using var k = new Owned(ToNative(e.Key, path));
                using var v = new Owned(ToNative(e.Value, path));
                Check.Ok(NativeMethods.rc_ivalue_dict_insert(d, k.Ptr, v.Ptr), "save");
            }
            return d;
        }
        catch
        {
            NativeMethods.rc_ivalue_free(d);
            throw;
        }
    }

    private static IntPtr ListToNative(IEnumerable list, string path)
    {
        Check.Ok(NativeMethods.rc_ivalue_list_new(out var l), "save");
        try
        {
            foreach (var item in list)
            {
                using var v = new Owned(ToNative(item, path));
                Check.Ok(NativeMethods.rc_ivalue_list_append(l, v.Ptr), "save");
            }
            return l;
        }
        catch
        {
            NativeMethods.rc_ivalue_free(l);
            throw;
        }
    }

    private static unsafe IntPtr TupleToNative(object?[] items, string path)
    {
        var handles = new IntPtr[items.Length];
        try
        {
            for (int i = 0; i < items.Length; i++) handles[i] = ToNative(items[i], path);
            IntPtr o;
            fixed (IntPtr* p = handles) Check.Ok(NativeMethods.rc_ivalue_tuple_new(p, handles.Length, out o), "save");
            return o;
        }
        finally
        {
            foreach (var h in handles) if (h != IntPtr.Zero) NativeMethods.rc_ivalue_free(h);
        }
    }

    /// <summary>An owned IValue handle.</summary>
    internal readonly struct Owned(IntPtr ptr) : IDisposable
    {
        public IntPtr Ptr { get; } = ptr;

        public T Use<T>(Func<IntPtr, T> f)
        {
            try { return f(Ptr); }
            finally { Dispose(); }
        }

        public void Dispose() => NativeMethods.rc_ivalue_free(Ptr);
    }
}
