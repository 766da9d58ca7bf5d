using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using LwpWatch.Core.Options;
using YamlDotNet.RepresentationModel;

namespace LwpWatch.Daemon.Configuration;

/// <summary>
/// Binds a YAML tree onto the immutable options records by reflection, collecting EVERY problem (unknown key,
/// wrong type, bad duration) with its key path instead of stopping at the first: an operator fixing a config
/// at 3 a.m. should see all mistakes in one run. Keys are the camelCase property names.
/// </summary>
internal static class ConfigBinder
{
    public static object Bind(Type type, YamlNode? node, string path, List<string> errors, object? defaults = null)
    {
        var instance = defaults ?? Activator.CreateInstance(type)!;
        if (node is null || IsNull(node))
        {
            return instance;
        }

        if (node is not YamlMappingNode map)
        {
            errors.Add($"{Display(path)}: expected a mapping of keys, got {Describe(node)}");
            return instance;
        }

        var props = Bindable(type);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            if (!props.TryGetValue(key, out var prop))
            {
                var hint = Suggest(key, props.Keys);
                errors.Add($"{childPath}: unknown key{(hint is null ? "" : $" (did you mean '{hint}'?)")}");
                continue;
            }

            var current = prop.GetValue(instance);
            var (ok, value) = Convert(prop.PropertyType, valueNode, childPath, errors, current);
            if (ok)
            {
                prop.SetValue(instance, value);
            }
        }

        return instance;
    }

    public static Dictionary<string, PropertyInfo> Bindable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => CamelCase(p.Name), StringComparer.Ordinal);

    public static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static (bool Ok, object? Value) Convert(Type type, YamlNode node, string path, List<string> errors, object? current)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return IsNull(node) ? (true, null) : Convert(underlying, node, path, errors, current);
        }

        if (type == typeof(string))
        {
            return Scalar(node, path, errors) is { } s ? (true, s) : (false, null);
        }

        if (type == typeof(bool))
        {
            return Parse(node, path, errors, "true or false", s => bool.TryParse(s, out var b) ? b : null);
        }

        if (type == typeof(int))
        {
            return Parse(node, path, errors, "an integer", s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null);
        }

        if (type == typeof(long))
        {
            return Parse(node, path, errors, "an integer", s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null);
        }

        if (type == typeof(double))
        {
            return Parse(node, path, errors, "a number", s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null);
        }

        if (type == typeof(TimeSpan))
        {
            return Parse(node, path, errors, "a duration like 250ms, 15s, 5m, 1h", s => Duration.TryParse(s, out var v) ? v : null);
        }

        if (type.IsEnum)
        {
            return Parse(node, path, errors, $"one of {string.Join(", ", Enum.GetNames(type))}", s => Enum.TryParse(type, s, ignoreCase: true, out var v) ? v : null);
        }

        if (TryList(type, out var elem))
        {
            if (IsNull(node))
            {
                return (true, MakeList(type, elem, []));
            }

            if (node is not YamlSequenceNode seq)
            {
                errors.Add($"{path}: expected a list, got {Describe(node)}");
                return (false, null);
            }

            var items = new List<object?>();
            var i = 0;
            var ok = true;
            foreach (var child in seq.Children)
            {
                var (good, v) = Convert(elem, child, $"{path}[{i++}]", errors, null);
                ok &= good;
                items.Add(v);
            }

            return ok ? (true, MakeList(type, elem, items)) : (false, null);
        }

        if (TryDictionary(type, out var valueType))
        {
            if (IsNull(node))
            {
                return (true, MakeDictionary(type, valueType, []));
            }

            if (node is not YamlMappingNode dm)
            {
                errors.Add($"{path}: expected a mapping, got {Describe(node)}");
                return (false, null);
            }

            var entries = new List<KeyValuePair<string, object?>>();
            var ok = true;
            foreach (var (k, v) in dm.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? "";
                var (good, value) = Convert(valueType, v, $"{path}.{key}", errors, null);
                ok &= good;
                entries.Add(new(key, value));
            }

            return ok ? (true, MakeDictionary(type, valueType, entries)) : (false, null);
        }

        if (type.IsClass && type.GetConstructor(Type.EmptyTypes) is not null)
        {
            return (true, Bind(type, node, path, errors, current is null ? null : Clone(current)));
        }

        errors.Add($"{path}: cannot bind values of type {type.Name}");
        return (false, null);
    }

    /// <summary>Records are bound by mutating a fresh copy, never the shared defaults instance.</summary>
    private static object Clone(object o)
    {
        var clone = o.GetType().GetMethod("<Clone>$");
        return clone is null ? o : clone.Invoke(o, null)!;
    }

    private static (bool, object?) Parse(YamlNode node, string path, List<string> errors, string expected, Func<string, object?> parse)
    {
        var s = Scalar(node, path, errors);
        if (s is null)
        {
            return (false, null);
        }

        var v = parse(s);
        if (v is null)
        {
            errors.Add($"{path}: expected {expected}, got '{s}'");
            return (false, null);
        }

        return (true, v);
    }

    private static string? Scalar(YamlNode node, string path, List<string> errors)
    {
        if (node is YamlScalarNode s && s.Value is not null)
        {
            return s.Value;
        }

        errors.Add($"{path}: expected a single value, got {Describe(node)}");
        return null;
    }

    private static bool IsNull(YamlNode node) => node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) } s
        && (s.Value is null or "" or "~" or "null");

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };

    private static bool TryList(Type type, out Type elem)
    {
        elem = typeof(object);
        if (!type.IsGenericType)
        {
            return false;
        }

        var def = type.GetGenericTypeDefinition();
        if (def == typeof(ImmutableArray<>) || def == typeof(IReadOnlyList<>) || def == typeof(List<>) || def == typeof(IList<>) || def == typeof(IEnumerable<>))
        {
            elem = type.GetGenericArguments()[0];
            return true;
        }

        return false;
    }

    private static object MakeList(Type type, Type elem, List<object?> items)
    {
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elem))!;
        foreach (var i in items)
        {
            list.Add(i);
        }

        if (type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            var create = typeof(ImmutableArray).GetMethods()
                .First(m => m.Name == nameof(ImmutableArray.CreateRange) && m.GetParameters().Length == 1)
                .MakeGenericMethod(elem);
            return create.Invoke(null, [list])!;
        }

        return list;
    }

    private static bool TryDictionary(Type type, out Type valueType)
    {
        valueType = typeof(object);
        if (!type.IsGenericType)
        {
            return false;
        }

        var def = type.GetGenericTypeDefinition();
        var args = type.GetGenericArguments();
        if ((def == typeof(IReadOnlyDictionary<,>) || def == typeof(Dictionary<,>) || def == typeof(IDictionary<,>)) && args[0] == typeof(string))
        {
            valueType = args[1];
            return true;
        }

        return false;
    }

    private static object MakeDictionary(Type type, Type valueType, List<KeyValuePair<string, object?>> entries)
    {
        var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType), StringComparer.Ordinal)!;
        foreach (var (k, v) in entries)
        {
            dict[k] = v;
        }

        return dict;
    }

    private static string Display(string path) => path.Length == 0 ? "(top level)" : path;

    private static string? Suggest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in known)
        {
            var d = Levenshtein(key.ToLowerInvariant(), k.ToLowerInvariant());
            if (d < bestDistance)
            {
                (best, bestDistance) = (k, d);
            }
        }

        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
