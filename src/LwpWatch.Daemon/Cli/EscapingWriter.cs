using System.Text;
using LwpWatch.Core.Text;

namespace LwpWatch.Daemon.Cli;

/// <summary>
/// Writes through to <paramref name="inner"/> with control characters escaped (TerminalText), line breaks kept:
/// System.CommandLine echoes the offending token in its errors, and a token may hold an escape sequence.
/// </summary>
public sealed class EscapingWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }

        var lines = value.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                inner.Write('\n');
            }

            inner.Write(TerminalText.Escape(lines[i].TrimEnd('\r')));
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        inner.Write('\n');
    }

    public override void Flush() => inner.Flush();
}
