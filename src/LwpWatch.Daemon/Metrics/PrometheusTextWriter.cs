using System.Globalization;
using System.Text;

namespace LwpWatch.Daemon.Metrics;

/// <summary>Which exposition format to render.</summary>
public enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4.</summary>
    Text004,

    /// <summary>OpenMetrics 1.0.0 text (counters' family names drop "_total"; ends with # EOF).</summary>
    OpenMetrics,
}

/// <summary>
/// A small Prometheus exposition writer: one HELP/TYPE block per family, samples grouped under it even when
/// added out of order, correct escaping, and duplicate series refused (promtool does not catch those).
/// </summary>
public sealed class PrometheusTextWriter
{
    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);
    private readonly List<Family> _order = [];

    public static string ContentType(ExpositionFormat format) => format == ExpositionFormat.OpenMetrics
        ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
        : "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Declares a family; declaring it again with the same type is a no-op, with another type an error.</summary>
    public void Declare(string name, string type, string help)
    {
        if (_families.TryGetValue(name, out var existing))
        {
            if (!string.Equals(existing.Type, type, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"metric {name} declared as {existing.Type} and {type}");
            }

            return;
        }

        if (!IsValidName(name))
        {
            throw new ArgumentException($"invalid metric name '{name}'", nameof(name));
        }

        if (string.Equals(type, "counter", StringComparison.Ordinal) && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            throw new ArgumentException($"counter {name} must end in _total", nameof(name));
        }

        var f = new Family(name, type, help);
        _families.Add(name, f);
        _order.Add(f);
    }

    public void Gauge(string name, string help) => Declare(name, "gauge", help);

    public void Counter(string name, string help) => Declare(name, "counter", help);

    /// <summary>Adds one sample to a declared family. Labels are (name, value) pairs, in the given order.</summary>
    public void Sample(string name, double value, params (string Name, string Value)[] labels)
    {
        if (!_families.TryGetValue(name, out var f))
        {
            throw new InvalidOperationException($"metric {name} sampled before it was declared");
        }

        var sb = new StringBuilder();
        if (labels.Length > 0)
        {
            sb.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }

                if (!IsValidLabelName(labels[i].Name))
                {
                    throw new ArgumentException($"invalid label name '{labels[i].Name}' on {name}", nameof(labels));
                }

                sb.Append(labels[i].Name).Append("=\"");
                EscapeLabelValue(sb, labels[i].Value);
                sb.Append('"');
            }

            sb.Append('}');
        }

        var key = sb.ToString();
        if (!f.Keys.Add(key))
        {
            throw new InvalidOperationException($"duplicate series {name}{key}");
        }

        f.Samples.Add((key, value));
    }

    public string Render(ExpositionFormat format)
    {
        var sb = new StringBuilder(4096);
        foreach (var f in _order)
        {
            var familyName = format == ExpositionFormat.OpenMetrics && f.Type == "counter" ? f.Name[..^"_total".Length] : f.Name;
            sb.Append("# HELP ").Append(familyName).Append(' ');
            EscapeHelp(sb, f.Help);
            sb.Append('\n');
            sb.Append("# TYPE ").Append(familyName).Append(' ').Append(f.Type).Append('\n');
            foreach (var (labels, value) in f.Samples)
            {
                sb.Append(f.Name).Append(labels).Append(' ').Append(FormatValue(value)).Append('\n');
            }
        }

        if (format == ExpositionFormat.OpenMetrics)
        {
            sb.Append("# EOF\n");
        }

        return sb.ToString();
    }

    public static string FormatValue(double v)
    {
        if (double.IsNaN(v))
        {
            return "NaN";
        }

        if (double.IsPositiveInfinity(v))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(v))
        {
            return "-Inf";
        }

        return v == Math.Floor(v) && Math.Abs(v) < 1e15
            ? ((long)v).ToString(CultureInfo.InvariantCulture)
            : v.ToString("R", CultureInfo.InvariantCulture);
    }

    private static void EscapeLabelValue(StringBuilder sb, string v)
    {
        foreach (var c in v)
        {
            _ = c switch
            {
                '\\' => sb.Append(@"\\"),
                '"' => sb.Append("\\\""),
                '\n' => sb.Append(@"\n"),
                _ => sb.Append(c),
            };
        }
    }

    private static void EscapeHelp(StringBuilder sb, string v)
    {
        foreach (var c in v)
        {
            _ = c switch
            {
                '\\' => sb.Append(@"\\"),
                '\n' => sb.Append(@"\n"),
                _ => sb.Append(c),
            };
        }
    }

    private static bool IsValidName(string n) =>
        n.Length > 0 && (char.IsAsciiLetter(n[0]) || n[0] is '_' or ':') && n.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    private static bool IsValidLabelName(string n) =>
        n.Length > 0 && (char.IsAsciiLetter(n[0]) || n[0] == '_') && n.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !n.StartsWith("__", StringComparison.Ordinal);

    private sealed record Family(string Name, string Type, string Help)
    {
        public List<(string Labels, double Value)> Samples { get; } = [];

        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
    }
}
