using System.Globalization;
using LwpWatch.Core.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace LwpWatch.Daemon.Logging;

/// <summary>
/// The text log line for a terminal (`logging.format: text`, or auto on a TTY): <c>HH:mm:ss LVL message</c>.
/// Log properties carry tenant-chosen names (cgroups, argv, zone aliases): the rendered message goes through
/// <see cref="TerminalText"/>, so it is one line with no raw control byte. An exception follows on lines
/// indented by four spaces, its message escaped onto one line, so no exception message can start a line that
/// looks like a log event.
/// </summary>
public sealed class TextLogFormatter : ITextFormatter
{
    private readonly MessageTemplateTextFormatter _head = new("{Timestamp:HH:mm:ss} {Level:u3} ", CultureInfo.InvariantCulture);

    // :lj as the console sink's template had: strings without quotes, structures as JSON.
    private readonly MessageTemplateTextFormatter _message = new("{Message:lj}", CultureInfo.InvariantCulture);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        _head.Format(logEvent, output);
        using var message = new StringWriter(CultureInfo.InvariantCulture);
        _message.Format(logEvent, message);
        output.Write(TerminalText.Escape(message.ToString()));
        output.Write('\n');
        if (logEvent.Exception is { } ex)
        {
            WriteException(ex, output, "    ", 0);
        }
    }

    /// <summary>
    /// Like Exception.ToString(), but each message is escaped onto one line (a message quoting a tenant's name
    /// can hold newlines); stack frames follow, inner exceptions after a "---&gt;" as .NET writes them.
    /// </summary>
    private static void WriteException(Exception ex, TextWriter output, string indent, int depth)
    {
        output.Write(indent);
        output.Write(TerminalText.Escape($"{ex.GetType().FullName}: {ex.Message}"));
        output.Write('\n');
        if (ex.StackTrace is { } trace)
        {
            foreach (var frame in trace.Split('\n'))
            {
                output.Write(indent);
                output.Write(TerminalText.Escape(frame.Trim()));
                output.Write('\n');
            }
        }

        // Bounded: a cyclic or absurdly deep chain must not hang or flood the log.
        if (depth >= 8)
        {
            return;
        }

        var inner = ex is AggregateException agg ? agg.InnerExceptions : ex.InnerException is { } i ? [i] : (IReadOnlyList<Exception>)[];
        foreach (var e in inner.Take(8))
        {
            WriteException(e, output, indent + "---> ", depth + 1);
        }
    }
}
