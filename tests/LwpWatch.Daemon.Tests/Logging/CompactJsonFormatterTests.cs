using System.Text.Json;
using LwpWatch.Daemon.Logging;
using Serilog.Events;
using Serilog.Parsing;

namespace LwpWatch.Daemon.Tests.Logging;

public sealed class CompactJsonFormatterTests
{
    private static string Format(LogEventLevel level, string template, Exception? ex, params LogEventProperty[] props)
    {
        var e = new LogEvent(new DateTimeOffset(2026, 11, 22, 1, 2, 3, TimeSpan.Zero), level, ex, new MessageTemplateParser().Parse(template), props);
        using var w = new StringWriter();
        new CompactJsonFormatter().Format(e, w);
        return w.ToString();
    }

    [Fact]
    public void One_valid_json_object_per_line_with_readable_quotes_and_typed_properties()
    {
        var line = Format(
            LogEventLevel.Warning,
            "Collector {Collector} failed after {Seconds}",
            new IOException("boom"),
            new LogEventProperty("Collector", new ScalarValue("svcs \"-Z\"")),
            new LogEventProperty("Seconds", new ScalarValue(8.5)),
            new LogEventProperty("Hints", new SequenceValue([new ScalarValue("echo 60 > /x/pids.max")])));
        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.Single(line.TrimEnd('\n').Split('\n'));
        Assert.Contains("\"@m\":\"Collector \\\"svcs \\\\\\\"-Z\\\\\\\"\\\" failed after 8.5\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0022", line, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        Assert.Equal("2026-11-22T01:02:03.0000000Z", r.GetProperty("@t").GetString());
        Assert.Equal("Warning", r.GetProperty("@l").GetString());
        Assert.Equal("Collector {Collector} failed after {Seconds}", r.GetProperty("@mt").GetString());
        Assert.Contains("boom", r.GetProperty("@x").GetString(), StringComparison.Ordinal);
        Assert.Equal(8.5, r.GetProperty("Seconds").GetDouble());
        Assert.Equal("echo 60 > /x/pids.max", r.GetProperty("Hints")[0].GetString());
    }

    [Fact]
    public void Information_has_no_level_field_and_control_characters_stay_escaped()
    {
        var line = Format(LogEventLevel.Information, "x {V}", null, new LogEventProperty("V", new ScalarValue("a\nb\u0001")));
        using var doc = JsonDocument.Parse(line);
        Assert.False(doc.RootElement.TryGetProperty("@l", out _));
        Assert.Equal("a\nb\u0001", doc.RootElement.GetProperty("V").GetString());
        Assert.Single(line.TrimEnd('\n').Split('\n'));
    }
}
