using System.Text.Json;

namespace LwpWatch.Daemon.Tests.Support;

/// <summary>
/// The Prometheus Python client's parsers (Debian python3-prometheus-client 0.16.0): prometheus_client/openmetrics/parser.py
/// is a strict OpenMetrics 1.0 parser (it refuses a missing or early "# EOF", a counter sample without _total, a
/// family split in two, an unescaped label value), which promtool is not: promtool 2.42 `check metrics` reads only
/// the 0.0.4 text format (a real run on OpenMetrics: "x_total no help text", exit 3). prometheus_client/parser.py is
/// its 0.0.4 text parser, used here to compare the two formats sample by sample. Neither notices a duplicated
/// series, so the script below checks that too.
/// </summary>
public static class ExpositionParser
{
    private const string Script = """
        import json, math, sys
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
        from prometheus_client.parser import text_string_to_metric_families as text
        data = sys.stdin.read()
        try:
            families = list((om if sys.argv[1] == 'openmetrics' else text)(data))
        except Exception as e:
            print(f'{type(e).__name__}: {e}', file=sys.stderr)
            sys.exit(1)
        seen = set()
        out = []
        for f in families:
            for s in f.samples:
                key = (s.name, tuple(sorted(s.labels.items())))
                if key in seen:
                    print(f'duplicate series {key}', file=sys.stderr)
                    sys.exit(1)
                seen.add(key)
                v = s.value
                out.append({'family': f.name, 'type': f.type, 'help': f.documentation, 'name': s.name, 'labels': s.labels,
                            'value': 'NaN' if math.isnan(v) else v})
        print(json.dumps(out))
        """;

    /// <summary>Parses <paramref name="exposition"/>; throws with the parser's message when it refuses it.</summary>
    public static IReadOnlyList<Sample> OpenMetrics(string exposition) => Parse("openmetrics", exposition);

    /// <summary>Parses a text 0.0.4 exposition the same way (for comparing the two formats).</summary>
    public static IReadOnlyList<Sample> Text(string exposition) => Parse("text", exposition);

    private static List<Sample> Parse(string mode, string exposition)
    {
        // /usr/bin/python3: the Debian package's module is not on a pyenv interpreter's path.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var (code, stdout, stderr) = TestTools.Run(python, ["-c", Script, mode], TimeSpan.FromSeconds(60), stdin: exposition);
        if (code != 0)
        {
            throw new FormatException($"the {mode} parser refused the exposition: {stderr.Trim()}");
        }

        using var doc = JsonDocument.Parse(stdout);
        return [.. doc.RootElement.EnumerateArray().Select(e => new Sample(
            e.GetProperty("family").GetString()!,
            e.GetProperty("type").GetString()!,
            e.GetProperty("help").GetString()!,
            e.GetProperty("name").GetString()!,
            e.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal),
            e.GetProperty("value").ValueKind == JsonValueKind.String ? double.NaN : e.GetProperty("value").GetDouble()))];
    }

    public sealed record Sample(string Family, string Type, string Help, string Name, IReadOnlyDictionary<string, string> Labels, double Value)
    {
        /// <summary>name{a="1",b="2"} with labels sorted: equal for equal series whatever the format.</summary>
        public string Series => Name + "{" + string.Join(",", Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
    }
}
