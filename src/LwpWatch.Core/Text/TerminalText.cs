using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace LwpWatch.Core.Text;

/// <summary>
/// The one escaping of text meant for a terminal, a text log or a chat message (check table, fix lines,
/// explain, text logs, Slack). Tenant-chosen names (cgroups, argv, zone aliases) reach these outputs; raw, an
/// ESC starts a terminal control sequence, a CR or LF forges a whole line, a BEL rings.
/// <para>
/// Form, as GNU <c>ls -b</c> (coreutils 9.1, UTF-8 locale) prints the same characters: <c>\a \b \t \n \v \f \r</c>
/// for U+0007..U+000D; every other C0 control and DEL as three octal digits (<c>\000</c>..<c>\037</c>,
/// <c>\177</c>; ESC is <c>\033</c>); a C1 control U+0080..U+009F as the octal of its two UTF-8 bytes
/// (U+009B CSI is <c>\302\233</c>). Beyond <c>ls -b</c>, the same octal form for U+2028/U+2029 (line and
/// paragraph separators) and the bidirectional embedding/override/isolate controls U+202A..U+202E and
/// U+2066..U+2069, which make a line display in an order other than the one it pastes in.
/// </para>
/// <para>
/// Unlike <c>ls -b</c>, a backslash and a space are left as they are: the fix lines are POSIX-quoted commands
/// meant to be pasted, and systemd unit names carry backslashes (<c>foo\x2dbar.service</c>); doubling them
/// would turn a correct command into a wrong one. The text form is therefore safe but not reversible (a name
/// that literally contains <c>\033</c> prints the same as one that contains ESC): the JSON outputs are the exact form.
/// </para>
/// </summary>
public static class TerminalText
{
    /// <summary><paramref name="s"/> with every control character escaped; the same instance when it has none.</summary>
    public static string Escape(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return s ?? "";
        }

        var first = s.AsSpan().IndexOfAny(Controls);
        if (first < 0)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length + 16);
        sb.Append(s, 0, first);
        for (var i = first; i < s.Length; i++)
        {
            AppendChar(sb, s[i]);
        }

        return sb.ToString();
    }

    /// <summary>Whether <paramref name="s"/> holds a character <see cref="Escape"/> would rewrite.</summary>
    public static bool NeedsEscape(ReadOnlySpan<char> s) => s.IndexOfAny(Controls) >= 0;

    /// <summary>True for every character <see cref="Escape"/> escapes.</summary>
    public static bool IsControl(char c) => Controls.Contains(c);

    /// <summary>Appends <paramref name="s"/> escaped.</summary>
    public static StringBuilder AppendEscaped(this StringBuilder sb, string? s)
    {
        if (s is null)
        {
            return sb;
        }

        foreach (var c in s)
        {
            AppendChar(sb, c);
        }

        return sb;
    }

    /// <summary>
    /// Appends an interpolated string whose literal parts are kept and every hole is escaped (and formatted with
    /// the invariant culture), so a line built from tenant data can carry only the line breaks the code wrote.
    /// </summary>
    public static StringBuilder AppendEscaped(this StringBuilder sb, [InterpolatedStringHandlerArgument("sb")] ref EscapedInterpolation text) => sb;

    private static readonly System.Buffers.SearchValues<char> Controls = System.Buffers.SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f"
        + "\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f"
        + "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

    private static void AppendChar(StringBuilder sb, char c)
    {
        if (!Controls.Contains(c))
        {
            sb.Append(c);
            return;
        }

        switch (c)
        {
            case '\a': sb.Append("\\a"); return;
            case '\b': sb.Append("\\b"); return;
            case '\t': sb.Append("\\t"); return;
            case '\n': sb.Append("\\n"); return;
            case '\v': sb.Append("\\v"); return;
            case '\f': sb.Append("\\f"); return;
            case '\r': sb.Append("\\r"); return;
        }

        // Octal of each UTF-8 byte, as ls -b: one byte for C0 and DEL, two for C1, three for U+2028.. .
        Span<byte> utf8 = stackalloc byte[4];
        var n = Encoding.UTF8.GetBytes([c], utf8);
        for (var i = 0; i < n; i++)
        {
            sb.Append('\\').Append(Convert.ToString(utf8[i], 8).PadLeft(3, '0'));
        }
    }

    /// <summary>The handler behind <see cref="AppendEscaped(StringBuilder, ref EscapedInterpolation)"/>.</summary>
    [InterpolatedStringHandler]
    public readonly ref struct EscapedInterpolation
    {
        private readonly StringBuilder _sb;

        public EscapedInterpolation(int literalLength, int formattedCount, StringBuilder sb)
        {
            _ = literalLength;
            _ = formattedCount;
            _sb = sb;
        }

        public void AppendLiteral(string s) => _sb.Append(s);

        public void AppendFormatted<T>(T value) => AppendFormatted(value, 0, null);

        public void AppendFormatted<T>(T value, int alignment) => AppendFormatted(value, alignment, null);

        public void AppendFormatted<T>(T value, string? format) => AppendFormatted(value, 0, format);

        public void AppendFormatted<T>(T value, int alignment, string? format)
        {
            var text = Escape(value switch
            {
                null => "",
                IFormattable f => f.ToString(format, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            });
            // Alignment pads the escaped text, so columns stay aligned with what the terminal shows.
            if (alignment > 0)
            {
                _sb.Append(text.PadLeft(alignment));
            }
            else
            {
                _sb.Append(text.PadRight(-alignment));
            }
        }
    }
}
