using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Configuration;
using LwpWatch.Daemon.Hosting;
using YamlDotNet.RepresentationModel;

namespace LwpWatch.Daemon.Tests.Configuration;

/// <summary>
/// The hand-written key table (OptionsSchema) against the options records, read here by reflection (the
/// product reads no reflection, so it binds the same under NativeAOT): every property is a key and every key
/// a property; binding a non-default value to a key changes exactly that property; and reload change
/// detection sees every change, and asks for a restart exactly for the sections wired at start-up.
/// </summary>
public sealed class OptionsSchemaTests
{
    private static readonly string[] RestartSections = ["http", "state", "logging", "receivers", "alerts", "delivery", "evidence"];

    public static TheoryData<string> Leaves()
    {
        var data = new TheoryData<string>();
        foreach (var leaf in LeafPaths(typeof(LwpWatchOptions), ""))
        {
            data.Add(leaf);
        }

        return data;
    }

    [Fact]
    public void Every_record_property_is_a_key_and_every_key_a_property() =>
        AssertKeysMatch(typeof(LwpWatchOptions), OptionsSchema.Root, "(top level)");

    [Fact]
    public void The_tree_has_every_option_of_the_reference_config()
    {
        // A floor, so a broken walk cannot pass the theory below with no cases.
        var count = LeafPaths(typeof(LwpWatchOptions), "").Count();
        Assert.True(count >= 98, $"only {count} leaves");
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void Each_key_binds_its_own_property_and_reload_sees_the_change(string leaf)
    {
        var segments = leaf.Split('.');
        var prop = PropertyAt(typeof(LwpWatchOptions), segments);
        var baseline = BindYaml(Yaml(segments[..^1], null));
        var defaultValue = ValueAt(baseline, segments);
        var (yamlValue, expected) = NonDefault(prop.PropertyType, defaultValue);

        var bound = BindYaml(Yaml(segments[..^1], $"{segments[^1]}: {yamlValue}"));

        Assert.Equal(expected, Canonical(ValueAt(bound, segments)));
        var before = Flatten(baseline);
        var after = Flatten(bound);
        var changed = before.Keys.Union(after.Keys).Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k)).ToList();
        Assert.Equal([leaf.Replace("[]", "[0]", StringComparison.Ordinal)], changed);

        Assert.False(OptionsSchema.Root.Same(baseline, bound), $"{leaf}: a change not seen by reload");
        Assert.True(OptionsSchema.Root.Same(bound, BindYaml(Yaml(segments[..^1], $"{segments[^1]}: {yamlValue}"))), $"{leaf}: equal configs differ");
        var section = segments[0].TrimEnd('[', ']');
        var restart = ConfigReloader.NeedsRestart(baseline, bound);
        if (RestartSections.Contains(section) || leaf == "poll.platform")
        {
            Assert.Equal([leaf == "poll.platform" ? leaf : section], restart);
        }
        else
        {
            Assert.Empty(restart);
        }
    }

    [Fact]
    public void Same_compares_lists_and_maps_by_value_not_by_reference()
    {
        const string yaml = "receivers:\n  - {name: am, type: alertmanager, url: 'http://127.0.0.1:9093'}\nalerts:\n  extraLabels: {dc: eu1}\n  routes:\n    - {receivers: [am], match: {kind: x}}\n";
        var a = BindYaml(yaml);
        var b = BindYaml(yaml);
        Assert.NotSame(a.Receivers, b.Receivers);
        Assert.True(OptionsSchema.Root.Same(a, b));
        Assert.Empty(ConfigReloader.NeedsRestart(a, b));
        var c = BindYaml(yaml.Replace("kind: x", "kind: y", StringComparison.Ordinal));
        Assert.Equal(["alerts"], ConfigReloader.NeedsRestart(a, c));
    }

    private static LwpWatchOptions BindYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var ctx = new BindContext();
        var options = OptionsSchema.Root.Bind(stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode, "", ctx, new LwpWatchOptions());
        Assert.True(ctx.Errors.Count == 0, $"{yaml}\n{string.Join('\n', ctx.Errors)}");
        return options;
    }

    /// <summary>Nested block YAML for the parent segments; a "name[]" segment is a one-element list.</summary>
    private static string Yaml(string[] parents, string? line)
    {
        var sb = new StringBuilder();
        var indent = "";
        foreach (var p in parents)
        {
            if (p.EndsWith("[]", StringComparison.Ordinal))
            {
                sb.Append(indent).Append(p[..^2]).Append(":\n").Append(indent).Append("  - ");
                indent += "    ";
                if (line is null)
                {
                    sb.Append("{}\n");
                    return sb.ToString();
                }

                sb.Append(line).Append('\n');
                return sb.ToString();
            }

            sb.Append(indent).Append(p).Append(":\n");
            indent += "  ";
        }

        if (line is not null)
        {
            sb.Append(indent).Append(line).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>A YAML value different from the default, and how the bound value then reads (Canonical).</summary>
    private static (string Yaml, string Expected) NonDefault(Type t, object? current)
    {
        var inv = CultureInfo.InvariantCulture;
        if (t == typeof(TimeSpan))
        {
            var v = (TimeSpan)current! + TimeSpan.FromMilliseconds(1234);
            return (Duration.Format(v), Canonical(v));
        }

        if (t == typeof(TimeSpan?))
        {
            return ("7s", Canonical(TimeSpan.FromSeconds(7)));
        }

        if (t == typeof(int))
        {
            var v = (int)current! + 1;
            return (v.ToString(inv), Canonical(v));
        }

        if (t == typeof(double))
        {
            var v = (double)current! + 0.125;
            return (v.ToString("R", inv), Canonical(v));
        }

        if (t == typeof(bool))
        {
            var v = !(bool)current!;
            return (v ? "true" : "false", Canonical(v));
        }

        if (t == typeof(string))
        {
            var v = "x-" + (string)current!;
            return ($"\"{v}\"", Canonical(v));
        }

        if (t.IsEnum)
        {
            var v = Enum.GetValues(t).Cast<object>().First(x => !Equals(x, current));
            return (v.ToString()!.ToLowerInvariant(), Canonical(v));
        }

        if (t == typeof(IReadOnlyList<string>))
        {
            return ("[a, b]", Canonical(new List<string> { "a", "b" }));
        }

        if (t == typeof(IReadOnlyDictionary<string, string>))
        {
            return ("{k: v}", Canonical(new Dictionary<string, string> { ["k"] = "v" }));
        }

        if (t == typeof(IReadOnlyDictionary<string, TimeSpan>))
        {
            return ("{k: 7s}", Canonical(new Dictionary<string, TimeSpan> { ["k"] = TimeSpan.FromSeconds(7) }));
        }

        throw new InvalidOperationException($"no test value for {t}: add one here");
    }

    private static void AssertKeysMatch(Type t, ISchema schema, string path)
    {
        var props = Settable(t).ToDictionary(p => Camel(p.Name), StringComparer.Ordinal);
        var keys = schema.Keys.ToDictionary(k => k.Name, k => k.Nested, StringComparer.Ordinal);
        Assert.True(props.Keys.Order(StringComparer.Ordinal).SequenceEqual(keys.Keys.Order(StringComparer.Ordinal)),
            $"{path}: record {t.Name} has [{string.Join(", ", props.Keys.Order(StringComparer.Ordinal))}], schema has [{string.Join(", ", keys.Keys.Order(StringComparer.Ordinal))}]");
        foreach (var (name, p) in props)
        {
            var nested = RecordType(p.PropertyType);
            Assert.True((nested is null) == (keys[name] is null), $"{path}.{name}: record and schema disagree on whether it is a section");
            if (nested is not null)
            {
                AssertKeysMatch(nested, keys[name]!, $"{path}.{name}");
            }
        }
    }

    private static IEnumerable<string> LeafPaths(Type t, string prefix)
    {
        foreach (var p in Settable(t))
        {
            var path = prefix.Length == 0 ? Camel(p.Name) : $"{prefix}.{Camel(p.Name)}";
            if (IsRecord(p.PropertyType))
            {
                foreach (var l in LeafPaths(p.PropertyType, path))
                {
                    yield return l;
                }
            }
            else if (RecordType(p.PropertyType) is { } element)
            {
                foreach (var l in LeafPaths(element, path + "[]"))
                {
                    yield return l;
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    private static PropertyInfo PropertyAt(Type t, string[] segments)
    {
        PropertyInfo? p = null;
        foreach (var s in segments)
        {
            p = Settable(t).Single(x => Camel(x.Name) == s.TrimEnd('[', ']'));
            t = RecordType(p.PropertyType) ?? p.PropertyType;
        }

        return p!;
    }

    private static object? ValueAt(object o, string[] segments)
    {
        object? cur = o;
        foreach (var s in segments)
        {
            var p = Settable(cur!.GetType()).Single(x => Camel(x.Name) == s.TrimEnd('[', ']'));
            cur = p.GetValue(cur);
            if (s.EndsWith("[]", StringComparison.Ordinal))
            {
                cur = ((IEnumerable)cur!).Cast<object>().First();
            }
        }

        return cur;
    }

    private static Dictionary<string, string> Flatten(object o)
    {
        var into = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten(o, "", into);
        return into;
    }

    private static void Flatten(object? o, string prefix, Dictionary<string, string> into)
    {
        if (o is not null && IsRecord(o.GetType()))
        {
            foreach (var p in Settable(o.GetType()))
            {
                Flatten(p.GetValue(o), prefix.Length == 0 ? Camel(p.Name) : $"{prefix}.{Camel(p.Name)}", into);
            }
        }
        else if (o is IEnumerable e and not string && e.Cast<object>().ToList() is { Count: > 0 } items && IsRecord(items[0].GetType()))
        {
            for (var i = 0; i < items.Count; i++)
            {
                Flatten(items[i], $"{prefix}[{i}]", into);
            }
        }
        else
        {
            into[prefix] = Canonical(o);
        }
    }

    private static string Canonical(object? o) => o switch
    {
        null => "null",
        string s => $"\"{s}\"",
        IEnumerable e => "[" + string.Join(", ", e.Cast<object>().Select(Canonical)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => o.ToString()!,
    };

    private static IEnumerable<PropertyInfo> Settable(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0);

    private static bool IsRecord(Type t) => t.IsClass && t != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null;

    /// <summary>The record type of a section or of a list of sections, else null.</summary>
    private static Type? RecordType(Type t) =>
        IsRecord(t) ? t
        : t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) && IsRecord(t.GetGenericArguments()[0]) ? t.GetGenericArguments()[0]
        : null;

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
