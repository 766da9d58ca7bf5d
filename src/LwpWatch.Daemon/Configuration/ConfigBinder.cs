using System.Globalization;
using LwpWatch.Core.Options;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LwpWatch.Daemon.Configuration;

/// <summary>
/// What one bind collects: EVERY problem (unknown key, wrong type, bad duration) with its key path and YAML
/// position instead of stopping at the first (an operator fixing a config at 3 a.m. should see all mistakes in
/// one run), and where each key was written, so range errors found after binding can point at their line too.
/// </summary>
internal sealed class BindContext
{
    private readonly Dictionary<string, Mark> _positions = new(StringComparer.Ordinal);

    public List<string> Errors { get; } = [];

    public void Error(string path, YamlNode node, string message) =>
        Errors.Add($"{Display(path)}: {message}{At(node.Start)}");

    public void Saw(string path, YamlNode node) => _positions[path] = node.Start;

    /// <summary>" (line L, column C)" of the longest key path that <paramref name="error"/> starts with, or "".</summary>
    public string PositionOf(string error)
    {
        var best = -1;
        var at = "";
        foreach (var (path, mark) in _positions)
        {
            if (path.Length > best && error.Length > path.Length && error[path.Length] == ':' && error.StartsWith(path, StringComparison.Ordinal))
            {
                (best, at) = (path.Length, At(mark));
            }
        }

        return at;
    }

    private static string At(Mark m) => string.Create(CultureInfo.InvariantCulture, $" (line {m.Line}, column {m.Column})");

    private static string Display(string path) => path.Length == 0 ? "(top level)" : path;
}

/// <summary>How one YAML value becomes a <typeparamref name="TValue"/>, and when two values are the same setting.</summary>
internal interface IValueKind<TValue>
{
    /// <summary>The value a list element or map value starts from (a fresh record for sections).</summary>
    TValue Initial { get; }

    bool TryBind(YamlNode node, string path, BindContext ctx, TValue current, out TValue value);

    /// <summary>Value equality, lists and maps included (records compare those by reference).</summary>
    bool Same(TValue a, TValue b);
}

/// <summary>One key of a section: its YAML name, how to read it from a record and how to set it in a copy.</summary>
internal abstract class Key<T>(string name)
{
    public string Name { get; } = name;

    public abstract T Bind(T target, YamlNode node, string path, BindContext ctx);

    public abstract bool Same(T a, T b);

    /// <summary>The value's kind when it is a section or a list of sections (for walking the key tree), else null.</summary>
    public abstract object? Nested { get; }
}

internal sealed class Key<T, TValue>(string name, Func<T, TValue> get, Func<T, TValue, T> set, IValueKind<TValue> kind) : Key<T>(name)
{
    public override T Bind(T target, YamlNode node, string path, BindContext ctx) =>
        kind.TryBind(node, path, ctx, get(target), out var value) ? set(target, value) : target;

    public override bool Same(T a, T b) => kind.Same(get(a), get(b));

    public override object? Nested => kind switch
    {
        ISectionKind s => s.Schema,
        IListKind { Element: ISectionKind s } => s.Schema,
        _ => null,
    };
}

/// <summary>Untyped views used only to walk the key tree (docs, tests).</summary>
internal interface ISchema
{
    IEnumerable<(string Name, ISchema? Nested)> Keys { get; }
}

internal interface ISectionKind
{
    ISchema Schema { get; }
}

internal interface IListKind
{
    object Element { get; }
}

/// <summary>
/// The keys of one immutable options record, written out by hand in <see cref="OptionsSchema"/>: no
/// reflection, so it binds the same under NativeAOT as under the JIT, and the same table gives value
/// equality for config reloads. Keys are the camelCase property names (a test holds the table to the records).
/// </summary>
internal sealed class Schema<T> : ISchema
    where T : class
{
    private readonly Func<T> _create;
    private readonly List<Key<T>> _keys = [];
    private readonly Dictionary<string, Key<T>> _byName = new(StringComparer.Ordinal);

    public Schema(Func<T> create) => _create = create;

    public T Create() => _create();

    public IReadOnlyList<Key<T>> All => _keys;

    IEnumerable<(string Name, ISchema? Nested)> ISchema.Keys => _keys.Select(k => (k.Name, k.Nested as ISchema));

    public Schema<T> Key<TValue>(string name, Func<T, TValue> get, Func<T, TValue, T> set, IValueKind<TValue> kind)
    {
        var key = new Key<T, TValue>(name, get, set, kind);
        _keys.Add(key);
        _byName.Add(name, key);
        return this;
    }

    public T Bind(YamlNode? node, string path, BindContext ctx, T current)
    {
        if (node is null || Kinds.IsNull(node))
        {
            return current;
        }

        if (node is not YamlMappingNode map)
        {
            ctx.Error(path, node, $"expected a mapping of keys, got {Kinds.Describe(node)}");
            return current;
        }

        foreach (var (keyNode, valueNode) in map.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value ?? "";
            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            if (!_byName.TryGetValue(name, out var key))
            {
                var hint = Suggest(name, _byName.Keys);
                ctx.Error(childPath, keyNode, $"unknown key{(hint is null ? "" : $" (did you mean '{hint}'?)")}");
                continue;
            }

            ctx.Saw(childPath, valueNode);
            current = key.Bind(current, valueNode, childPath, ctx);
        }

        return current;
    }

    public bool Same(T a, T b) => ReferenceEquals(a, b) || _keys.All(k => k.Same(a, b));

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

/// <summary>The value kinds the options use; each parses exactly what the reference config documents.</summary>
internal static class Kinds
{
    public static readonly IValueKind<string> String = new ScalarKind<string>("", "a single value", (string s, out string v) => { v = s; return true; }, StringComparer.Ordinal);

    public static readonly IValueKind<bool> Bool = new ScalarKind<bool>(false, "true or false", bool.TryParse);

    public static readonly IValueKind<int> Int = new ScalarKind<int>(0, "an integer", (string s, out int v) => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v));

    public static readonly IValueKind<double> Double = new ScalarKind<double>(0, "a number", (string s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v));

    public static readonly IValueKind<TimeSpan> Duration = new ScalarKind<TimeSpan>(TimeSpan.Zero, "a duration like 250ms, 15s, 5m, 1h", Core.Options.Duration.TryParse);

    /// <summary>A duration that may be left unset (null, ~ or empty) to inherit another setting.</summary>
    public static readonly IValueKind<TimeSpan?> OptionalDuration = new OptionalKind<TimeSpan>(Duration);

    public static IValueKind<TEnum> Enum<TEnum>()
        where TEnum : struct, Enum =>
        new ScalarKind<TEnum>(default, $"one of {string.Join(", ", System.Enum.GetNames<TEnum>())}", TryParseName);

    /// <summary>By name only: Enum.TryParse also takes "7" and would bind a value that has no name.</summary>
    private static bool TryParseName<TEnum>(string s, out TEnum value)
        where TEnum : struct, Enum
    {
        var t = s.Trim();
        return System.Enum.TryParse(t, ignoreCase: true, out value) && t.Length > 0 && char.IsAsciiLetter(t[0]) && System.Enum.IsDefined(value);
    }

    public static IValueKind<IReadOnlyList<TValue>> List<TValue>(IValueKind<TValue> element) => new ListKind<TValue>(element);

    public static IValueKind<IReadOnlyDictionary<string, TValue>> Map<TValue>(IValueKind<TValue> value) => new MapKind<TValue>(value);

    public static IValueKind<T> Section<T>(Schema<T> schema)
        where T : class => new SectionKind<T>(schema);

    /// <summary>A plain ~, null or empty scalar (quoted "" is a value: an empty string).</summary>
    public static bool IsNull(YamlNode node) => node is YamlScalarNode { Style: not (ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) } s
        && (s.Value is null or "" or "~" or "null");

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };

    private static string? Scalar(YamlNode node, string path, BindContext ctx)
    {
        if (node is YamlScalarNode s && s.Value is not null)
        {
            return s.Value;
        }

        ctx.Error(path, node, $"expected a single value, got {Describe(node)}");
        return null;
    }

    private delegate bool TryParse<TValue>(string s, out TValue value);

    private sealed class ScalarKind<TValue>(TValue initial, string expected, TryParse<TValue> parse, IEqualityComparer<TValue>? comparer = null) : IValueKind<TValue>
    {
        private readonly IEqualityComparer<TValue> _comparer = comparer ?? EqualityComparer<TValue>.Default;

        public TValue Initial => initial;

        public bool TryBind(YamlNode node, string path, BindContext ctx, TValue current, out TValue value)
        {
            value = current;
            if (Scalar(node, path, ctx) is not { } s)
            {
                return false;
            }

            if (!parse(s, out var parsed))
            {
                ctx.Error(path, node, $"expected {expected}, got '{s}'");
                return false;
            }

            value = parsed;
            return true;
        }

        public bool Same(TValue a, TValue b) => _comparer.Equals(a, b);
    }

    private sealed class OptionalKind<TValue>(IValueKind<TValue> inner) : IValueKind<TValue?>
        where TValue : struct
    {
        public TValue? Initial => null;

        public bool TryBind(YamlNode node, string path, BindContext ctx, TValue? current, out TValue? value)
        {
            value = null;
            if (IsNull(node))
            {
                return true;
            }

            var ok = inner.TryBind(node, path, ctx, current ?? inner.Initial, out var v);
            value = ok ? v : current;
            return ok;
        }

        public bool Same(TValue? a, TValue? b) => a is null ? b is null : b is not null && inner.Same(a.Value, b.Value);
    }

    private sealed class ListKind<TValue>(IValueKind<TValue> element) : IValueKind<IReadOnlyList<TValue>>, IListKind
    {
        public IReadOnlyList<TValue> Initial => [];

        public object Element => element;

        public bool TryBind(YamlNode node, string path, BindContext ctx, IReadOnlyList<TValue> current, out IReadOnlyList<TValue> value)
        {
            value = current;
            if (IsNull(node))
            {
                value = [];
                return true;
            }

            if (node is not YamlSequenceNode seq)
            {
                ctx.Error(path, node, $"expected a list, got {Describe(node)}");
                return false;
            }

            var items = new List<TValue>(seq.Children.Count);
            var ok = true;
            foreach (var child in seq.Children)
            {
                var childPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{items.Count}]");
                ctx.Saw(childPath, child);
                ok &= element.TryBind(child, childPath, ctx, element.Initial, out var v);
                items.Add(v);
            }

            if (ok)
            {
                value = items;
            }

            return ok;
        }

        public bool Same(IReadOnlyList<TValue> a, IReadOnlyList<TValue> b)
        {
            if (a.Count != b.Count)
            {
                return false;
            }

            for (var i = 0; i < a.Count; i++)
            {
                if (!element.Same(a[i], b[i]))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed class MapKind<TValue>(IValueKind<TValue> valueKind) : IValueKind<IReadOnlyDictionary<string, TValue>>
    {
        public IReadOnlyDictionary<string, TValue> Initial => new Dictionary<string, TValue>(StringComparer.Ordinal);

        public bool TryBind(YamlNode node, string path, BindContext ctx, IReadOnlyDictionary<string, TValue> current, out IReadOnlyDictionary<string, TValue> value)
        {
            value = current;
            if (IsNull(node))
            {
                value = Initial;
                return true;
            }

            if (node is not YamlMappingNode map)
            {
                ctx.Error(path, node, $"expected a mapping, got {Describe(node)}");
                return false;
            }

            var entries = new Dictionary<string, TValue>(StringComparer.Ordinal);
            var ok = true;
            foreach (var (k, v) in map.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? "";
                var childPath = $"{path}.{key}";
                ctx.Saw(childPath, v);
                var good = valueKind.TryBind(v, childPath, ctx, valueKind.Initial, out var bound);
                ok &= good;
                entries[key] = bound;
            }

            if (ok)
            {
                value = entries;
            }

            return ok;
        }

        public bool Same(IReadOnlyDictionary<string, TValue> a, IReadOnlyDictionary<string, TValue> b)
        {
            if (a.Count != b.Count)
            {
                return false;
            }

            foreach (var (k, v) in a)
            {
                if (!b.TryGetValue(k, out var other) || !valueKind.Same(v, other))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed class SectionKind<T>(Schema<T> schema) : IValueKind<T>, ISectionKind
        where T : class
    {
        public T Initial => schema.Create();

        public ISchema Schema => schema;

        /// <summary>
        /// Always "bound": a section keeps the keys that did parse, so their range checks still run and every
        /// mistake shows in one pass (a type error in one key must not hide a range error in its sibling).
        /// </summary>
        public bool TryBind(YamlNode node, string path, BindContext ctx, T current, out T value)
        {
            value = schema.Bind(node, path, ctx, current);
            return true;
        }

        public bool Same(T a, T b) => schema.Same(a, b);
    }
}
