using System.Globalization;
using System.Text;
using LwpWatch.Core.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace LwpWatch.Daemon.Logging;

/// <summary>
/// Serilog.Formatting.Compact's CLEF line, with the terminal controls JSON allows raw escaped too. Its string
/// escaping (Serilog's JsonValueFormatter.WriteQuotedJsonString) covers U+0000..U+001F, '"' and '\', but writes
/// DEL, the C1 controls (U+009B is CSI), U+2028/U+2029 and the bidi overrides as they are; `journalctl` and
/// `tail -f` would hand them to a terminal. Outside strings a CLEF line is plain ASCII, so every such character
/// is inside a string, where <c>\uXXXX</c> means the same character: the line stays the same JSON.
/// </summary>
public sealed class JsonLineFormatter : ITextFormatter
{
    private readonly CompactJsonFormatter _clef = new();

    public void Format(LogEvent logEvent, TextWriter output)
    {
        var sb = new StringBuilder(256);
        using (var w = new StringWriter(sb, CultureInfo.InvariantCulture))
        {
            _clef.Format(logEvent, w);
        }

        var start = 0;
        for (var i = 0; i < sb.Length; i++)
        {
            var c = sb[i];
            // The C0 controls are already escaped; the one left is the line's own terminator.
            if (c >= '\u007f' && TerminalText.IsControl(c))
            {
                output.Write(sb.ToString(start, i - start));
                output.Write(string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
                start = i + 1;
            }
        }

        output.Write(sb.ToString(start, sb.Length - start));
    }
}
