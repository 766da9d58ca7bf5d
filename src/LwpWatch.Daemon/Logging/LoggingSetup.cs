using LwpWatch.Core.Options;
using LwpWatch.Daemon.Metrics;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Sinks.Async;

namespace LwpWatch.Daemon.Logging;

/// <summary>
/// Serilog wired so a slow or blocked log consumer (a full stdout pipe, a stalled journald) can never delay a
/// poll: every sink sits behind a bounded async buffer that drops, and counts, instead of blocking.
/// JSON lines are Serilog.Formatting.Compact's CLEF (<see cref="JsonLineFormatter"/>: @t, @mt, @r, @l, @x, then
/// the properties, among them EventId {Id, Name}); the text form is <see cref="TextLogFormatter"/> (docs/LOGGING.md has both shapes).
/// No syslog priority prefix ("&lt;4&gt;") is written: journald stores each stdout line at the unit's
/// SyslogLevel, and a shipper reads the level from @l.
/// </summary>
public sealed class LoggingSetup : IAsyncLogEventSinkMonitor, IMetricsSource
{
    private IAsyncLogEventSinkInspector? _inspector;

    /// <summary>The JSON line format (CLEF); stateless, so one instance serves every logger.</summary>
    public static ITextFormatter JsonFormatter { get; } = new JsonLineFormatter();

    public long Dropped => _inspector?.DroppedMessagesCount ?? 0;

    public static bool UseJson(LoggingSettings settings, bool stdoutIsTty) => settings.Format switch
    {
        "json" => true,
        "text" => false,
        _ => !stdoutIsTty,
    };

    /// <param name="toStderr">One-shot verbs keep stdout for their output (JSON/table) and log to stderr.</param>
    public Serilog.Core.Logger Create(LoggingSettings settings, bool toStderr)
    {
        var level = Enum.TryParse<LogEventLevel>(settings.Level, ignoreCase: true, out var l) ? l : LogEventLevel.Information;
        var json = UseJson(settings, toStderr ? !Console.IsErrorRedirected : !Console.IsOutputRedirected);
        var stderrFrom = toStderr ? LogEventLevel.Verbose : (LogEventLevel?)null;
        return new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .WriteTo.Async(
                a =>
                {
                    if (json)
                    {
                        a.Console(JsonFormatter, standardErrorFromLevel: stderrFrom);
                    }
                    else
                    {
                        // Tenant-chosen names reach log properties: the text line escapes control characters.
                        a.Console(new TextLogFormatter(), standardErrorFromLevel: stderrFrom);
                    }
                },
                bufferSize: settings.BufferSize,
                blockWhenFull: false,
                monitor: this)
            .CreateLogger();
    }

    public void StartMonitoring(IAsyncLogEventSinkInspector inspector) => _inspector = inspector;

    public void StopMonitoring(IAsyncLogEventSinkInspector inspector) => _inspector = null;

    public void Register(ScrapeMetrics metrics)
    {
        var dropped = metrics.Counter("lwpwatch_log_events_dropped_total", "Log events dropped because the log sink could not keep up (the poll never waits for logging).");
        metrics.OnScrape(() => dropped.IncTo(Dropped));
    }
}
