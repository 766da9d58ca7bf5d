using System.Buffers;
using System.Globalization;
using System.Text;

namespace LwpWatch.Core.Rules;

/// <summary>
/// The one renderer of hint words for a POSIX shell (dash, bash, busybox sh). Every word comes out as exactly one
/// shell word that expands to exactly its bytes, with no expansion, splitting or globbing, in one of three forms:
/// <list type="bullet">
/// <item>bare, only when every byte is in <c>[A-Za-z0-9_./:=@%+,-]</c>: none of those is special to the shell
/// anywhere in a word (no quoting, expansion, glob, tilde, comment, history, brace or redirection character;
/// a word after the command name is never an assignment);</item>
/// <item>single-quoted, <c>'...'</c> with each <c>'</c> written <c>'\''</c>, for valid UTF-8 whose characters are
/// all printable: inside single quotes every byte but <c>'</c> is literal (POSIX XCU 2.2.2);</item>
/// <item><c>"$(printf '...')"</c> for anything else (bytes that are not UTF-8, control characters, invisible or
/// bidi formatting characters): the printf format is pure printable ASCII with every other byte as a three-digit
/// octal escape (<c>\ooo</c>), <c>\</c> as <c>\\</c>, <c>%</c> as <c>%%</c>, <c>'</c> as <c>\047</c> and a
/// leading <c>-</c> as <c>\055</c> (so printf never sees an option). Inside double quotes the substitution is
/// neither split nor globbed; it drops only trailing newlines, which a cgroup name cannot contain (any other word
/// gets them back as a quoted literal after it).</item>
/// </list>
/// So a rendered hint is printable ASCII or printable UTF-8 only (but for a word ending in newlines, which no cgroup,
/// unit or zone name can): it shows the same in a terminal, a log and a
/// page as it runs, and no text escaping downstream can change what it does. Proved against real dash and bash
/// over the hostile-name corpus and a property over arbitrary bytes (ShellQuoteTests).
/// </summary>
public static class ShellQuote
{
    /// <summary>Whether a word may be written bare: non-empty, and every byte in the set above.</summary>
    public static bool IsBare(ReadOnlySpan<byte> word)
    {
        if (word.IsEmpty)
        {
            return false;
        }

        foreach (var b in word)
        {
            if (!IsBareByte(b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One shell word that expands to exactly these bytes.</summary>
    public static string Word(ReadOnlySpan<byte> bytes)
    {
        if (IsBare(bytes))
        {
            return Encoding.ASCII.GetString(bytes);
        }

        if (IsPrintableUtf8(bytes))
        {
            return "'" + Encoding.UTF8.GetString(bytes).Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        }

        // Command substitution drops trailing newlines (XCU 2.6.3): those few go after it as a quoted literal.
        var end = bytes.Length;
        while (end > 0 && bytes[end - 1] == (byte)'\n')
        {
            end--;
        }

        var sb = new StringBuilder("\"$(printf '");
        for (var i = 0; i < end; i++)
        {
            var b = bytes[i];
            switch (b)
            {
                case (byte)'\\':
                    sb.Append("\\\\");
                    break;
                case (byte)'%':
                    sb.Append("%%");
                    break;
                case (byte)'-' when i == 0:
                case (byte)'\'':
                    Octal(sb, b);
                    break;
                case >= 0x20 and < 0x7f:
                    sb.Append((char)b);
                    break;
                default:
                    Octal(sb, b);
                    break;
            }
        }

        sb.Append("')\"");
        if (end < bytes.Length)
        {
            sb.Append('\'').Append('\n', bytes.Length - end).Append('\'');
        }

        return sb.ToString();
    }

    /// <summary>One shell word for a string (its UTF-8 bytes).</summary>
    public static string Word(string text) => Word(Encoding.UTF8.GetBytes(text));

    private static bool IsBareByte(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
            or (byte)'_' or (byte)'.' or (byte)'/' or (byte)':' or (byte)'=' or (byte)'@' or (byte)'%' or (byte)'+' or (byte)',' or (byte)'-';

    /// <summary>
    /// Valid UTF-8 with no character a terminal would act on or hide: no C0/C1 control, DEL, format character
    /// (bidi overrides, zero-width), line/paragraph separator, private-use or unassigned code point.
    /// </summary>
    private static bool IsPrintableUtf8(ReadOnlySpan<byte> bytes)
    {
        var rest = bytes;
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(rest, out var rune, out var n) != OperationStatus.Done)
            {
                return false;
            }

            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.Format:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                case UnicodeCategory.PrivateUse:
                case UnicodeCategory.OtherNotAssigned:
                case UnicodeCategory.Surrogate:
                    return false;
            }

            rest = rest[n..];
        }

        return true;
    }

    private static void Octal(StringBuilder sb, byte b) =>
        sb.Append('\\').Append((char)('0' + (b >> 6))).Append((char)('0' + ((b >> 3) & 7))).Append((char)('0' + (b & 7)));
}
