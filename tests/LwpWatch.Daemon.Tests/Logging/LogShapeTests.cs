using System.Text.Json;
using LwpWatch.Daemon.Logging;
using Microsoft.Extensions.Logging;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace LwpWatch.Daemon.Tests.Logging;

/// <summary>
/// The JSON log line as journald and a log shipper get it: the daemon's own messages (Log.cs) through
/// Microsoft.Extensions.Logging and Serilog into <see cref="LoggingSetup.JsonFormatter"/>, the formatter the
/// daemon's console sink uses. The shape is Serilog.Formatting.Compact's CLEF (serilog/serilog-formatting-compact,
/// src/Serilog.Formatting.Compact/Formatting/Compact/CompactJsonFormatter.cs), documented in docs/LOGGING.md.
/// </summary>
public sealed class LogShapeTests
{
    private sealed class Capture : ILogEventSink
    {
        public List<string> Lines { get; } = [];

        public void Emit(LogEvent logEvent)
        {
            using var w = new StringWriter();
            LoggingSetup.JsonFormatter.Format(logEvent, w);
            Lines.Add(w.ToString());
        }
    }

    private static (ILogger Log, Capture Sink, IDisposable Life) Logger()
    {
        var sink = new Capture();
        var serilog = new Serilog.LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();
        var factory = new SerilogLoggerFactory(serilog, dispose: true);
        return (factory.CreateLogger("LwpWatch.Test"), sink, factory);
    }

    private static JsonElement One(Capture sink)
    {
        var line = Assert.Single(sink.Lines);
        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.Single(line.TrimEnd('\n').Split('\n'));
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    [Fact]
    public void A_warning_carries_time_level_template_event_id_and_typed_properties()
    {
        var (log, sink, life) = Logger();
        using (life)
        {
            log.PollSlow(12.3456, "10s");
        }

        var r = One(sink);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$", r.GetProperty("@t").GetString());
        Assert.Equal("Warning", r.GetProperty("@l").GetString());
        Assert.Equal("Poll took {Seconds:0.000}s, longer than the {Interval} interval", r.GetProperty("@mt").GetString());
        // @r: the renderings of the formatted tokens, in order ({Seconds:0.000}).
        Assert.Equal("12.346", r.GetProperty("@r")[0].GetString());
        Assert.Equal(12.3456, r.GetProperty("Seconds").GetDouble());
        Assert.Equal("10s", r.GetProperty("Interval").GetString());
        Assert.Equal(1001, r.GetProperty("EventId").GetProperty("Id").GetInt32());
        Assert.Equal("PollSlow", r.GetProperty("EventId").GetProperty("Name").GetString());
        Assert.Equal("LwpWatch.Test", r.GetProperty("SourceContext").GetString());
        Assert.False(r.TryGetProperty("@m", out _));
    }

    [Fact]
    public void Information_has_no_level_field_an_exception_is_in_x_and_sequences_stay_arrays()
    {
        var (log, sink, life) = Logger();
        using (life)
        {
            log.PollLoopStarted("linux", "10s", ["cgroup-pids", "systemd"]);
            log.PollFailed(new IOException("boom"));
        }

        Assert.Equal(2, sink.Lines.Count);
        var info = JsonDocument.Parse(sink.Lines[0]).RootElement;
        Assert.False(info.TryGetProperty("@l", out _));
        Assert.Equal(["cgroup-pids", "systemd"], info.GetProperty("Collectors").EnumerateArray().Select(e => e.GetString()));
        var error = JsonDocument.Parse(sink.Lines[1]).RootElement;
        Assert.Equal("Error", error.GetProperty("@l").GetString());
        Assert.StartsWith("System.IO.IOException: boom", error.GetProperty("@x").GetString(), StringComparison.Ordinal);
        Assert.Equal(1004, error.GetProperty("EventId").GetProperty("Id").GetInt32());
    }

    [Fact]
    public void A_hostile_tenant_name_stays_inside_one_json_line_and_round_trips()
    {
        const string hostile = "svc\"\n{\"@l\":\"Fatal\"}\r\u001b]0;owned\u0007\u009b2J\u202ecba";
        var (log, sink, life) = Logger();
        using (life)
        {
            log.CollectorFailed(hostile, "x > /dev/null");
        }

        var r = One(sink);
        Assert.Equal(hostile, r.GetProperty("Collector").GetString());
        Assert.Equal("Warning", r.GetProperty("@l").GetString());
        // Readable: '>' is not \u003E (journalctl shows the raw line).
        Assert.Contains("x > /dev/null", sink.Lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', sink.Lines[0]);
        Assert.DoesNotContain('\r', sink.Lines[0]);
        Assert.DoesNotContain('\u009b', sink.Lines[0]);
        Assert.DoesNotContain('\u202e', sink.Lines[0]);
    }

    [Fact]
    public void A_finding_is_logged_at_the_level_its_severity_asks_for_under_one_id()
    {
        var (log, sink, life) = Logger();
        using (life)
        {
            log.FindingFired(LogLevel.Error, "fork-denied", "critical", "z1", "forks refused", ["echo 60 > /x/pids.max"]);
            log.FindingFired(LogLevel.Warning, "near-cap", "warning", "z1", "near", []);
        }

        var levels = sink.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("Error", levels[0].GetProperty("@l").GetString());
        Assert.Equal("Warning", levels[1].GetProperty("@l").GetString());
        Assert.All(levels, e => Assert.Equal(1100, e.GetProperty("EventId").GetProperty("Id").GetInt32()));
        Assert.Equal("echo 60 > /x/pids.max", levels[0].GetProperty("Hints")[0].GetString());
    }
}
