using System.Globalization;
using System.Buffers;
using System.Text;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// Pure parsers for the cgroup pids.* files (same format on v1 and v2). Each takes the text, or the raw bytes
/// of the file (the per-cgroup hot path reads into a reused buffer and allocates nothing); both give the same
/// result and the same errors, because bytes are turned into exactly the characters File.ReadAllText would
/// produce and then go through the same code.
/// </summary>
public static class CgroupFileParser
{
    // pids.* files are a few bytes; anything up to this size is widened on the stack.
    private const int StackChars = 256;

    /// <summary>pids.max: "max" (unlimited, returned as null) or a non-negative integer.</summary>
    public static long? ParseMax(string text, string input) => ParseMax(text.AsSpan(), input);

    /// <inheritdoc cref="ParseMax(string, string)"/>
    public static long? ParseMax(ReadOnlySpan<byte> utf8, string input)
    {
        Span<char> scratch = stackalloc char[StackChars];
        return ParseMax(Chars(utf8, scratch), input);
    }

    /// <summary>pids.current / pids.peak: one non-negative integer.</summary>
    public static long ParseCount(string text, string input) => ParseCount(text.AsSpan(), input);

    /// <inheritdoc cref="ParseCount(string, string)"/>
    public static long ParseCount(ReadOnlySpan<byte> utf8, string input)
    {
        Span<char> scratch = stackalloc char[StackChars];
        return ParseCount(Chars(utf8, scratch), input);
    }

    /// <summary>pids.events / pids.events.local: flat-keyed "max N" lines; returns N (0 when the key is absent).</summary>
    public static long ParseEventsMax(string text, string input) => ParseEventsMax(text.AsSpan(), input);

    /// <inheritdoc cref="ParseEventsMax(string, string)"/>
    public static long ParseEventsMax(ReadOnlySpan<byte> utf8, string input)
    {
        Span<char> scratch = stackalloc char[StackChars];
        return ParseEventsMax(Chars(utf8, scratch), input);
    }

    /// <summary>
    /// Allocation-free fast path of <see cref="ParseMax(ReadOnlySpan{byte}, string)"/> for the plain ASCII a kernel
    /// writes. True = this is exactly the value ParseMax returns; false = anything unusual (including every
    /// error): call ParseMax for the answer or the named error. Lets the hot path build the input name only
    /// when something is wrong.
    /// </summary>
    internal static bool TryParseMaxFast(ReadOnlySpan<byte> utf8, out long? value)
    {
        var t = TrimAscii(utf8);
        if (t.SequenceEqual("max"u8))
        {
            value = null;
            return true;
        }

        var ok = TryDigits(t, out var n);
        value = n;
        return ok;
    }

    /// <summary>Fast path of <see cref="ParseCount(ReadOnlySpan{byte}, string)"/>; same contract as <see cref="TryParseMaxFast"/>.</summary>
    internal static bool TryParseCountFast(ReadOnlySpan<byte> utf8, out long value) => TryDigits(TrimAscii(utf8), out value);

    /// <summary>Fast path of <see cref="ParseEventsMax(ReadOnlySpan{byte}, string)"/>; same contract as <see cref="TryParseMaxFast"/>.</summary>
    internal static bool TryParseEventsMaxFast(ReadOnlySpan<byte> utf8, out long value)
    {
        value = 0;

        // Only printable ASCII, \t, \v and \n: then splitting on \n is exactly what EnumerateLines would do.
        foreach (var b in utf8)
        {
            if (b is < 0x20 or > 0x7e && b is not ((byte)'\n' or (byte)'\t' or (byte)'\v'))
            {
                return false;
            }
        }

        var rest = utf8;
        while (!rest.IsEmpty)
        {
            var nl = rest.IndexOf((byte)'\n');
            var line = TrimAscii(nl < 0 ? rest : rest[..nl]);
            rest = nl < 0 ? default : rest[(nl + 1)..];
            if (line.IsEmpty)
            {
                continue;
            }

            var sp = line.IndexOf((byte)' ');
            if (sp <= 0 || !TryDigits(TrimAscii(line[(sp + 1)..]), out var n))
            {
                return false;
            }

            if (line[..sp].SequenceEqual("max"u8))
            {
                value = n;
                return true;
            }
        }

        return true;
    }

    /// <summary>1 to 18 ASCII digits (so no overflow); anything else is left to the exact parser.</summary>
    private static bool TryDigits(ReadOnlySpan<byte> t, out long value)
    {
        value = 0;
        if (t.IsEmpty || t.Length > 18)
        {
            return false;
        }

        foreach (var b in t)
        {
            var d = b - (byte)'0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    /// <summary>
    /// Trims space, \t, \v and \n. Lines are split on \n only, so any \r, \f (line breaks to EnumerateLines), other
    /// control byte or non-ASCII byte stays in and makes the fast path give up, leaving it to the exact parser.
    /// </summary>
    private static ReadOnlySpan<byte> TrimAscii(ReadOnlySpan<byte> s)
    {
        var a = 0;
        var b = s.Length;
        while (a < b && IsBlank(s[a]))
        {
            a++;
        }

        while (b > a && IsBlank(s[b - 1]))
        {
            b--;
        }

        return s[a..b];
    }

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\v' or (byte)'\n';

    private static long? ParseMax(ReadOnlySpan<char> text, string input)
    {
        var t = text.Trim();
        if (t.SequenceEqual("max"))
        {
            return null;
        }

        return ParseCount(text, input);
    }

    private static long ParseCount(ReadOnlySpan<char> text, string input)
    {
        var t = text.Trim();
        if (t.IsEmpty)
        {
            throw new ParseException(input, "empty, expected a number");
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            throw new ParseException(input, $"expected a non-negative integer, got '{Clip(t)}'");
        }

        return v;
    }

    private static long ParseEventsMax(ReadOnlySpan<char> text, string input)
    {
        foreach (var raw in text.EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            var sp = line.IndexOf(' ');
            if (sp <= 0)
            {
                throw new ParseException(input, $"expected 'key value', got '{Clip(line)}'");
            }

            var key = line[..sp];
            var value = line[(sp + 1)..].Trim();
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                throw new ParseException(input, $"value of '{key}' is not a non-negative integer: '{Clip(value)}'");
            }

            if (key.SequenceEqual("max"))
            {
                return n;
            }
        }

        return 0;
    }

    /// <summary>cpu.pressure: "some avg10=1.23 avg60=... total=..." -> the some avg10 percentage.</summary>
    public static double? ParsePressureSomeAvg10(string text, string input)
    {
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (!line.StartsWith("some "))
            {
                continue;
            }

            var i = line.IndexOf("avg10=");
            if (i < 0)
            {
                throw new ParseException(input, "'some' line has no avg10");
            }

            var rest = line[(i + 6)..];
            var end = rest.IndexOf(' ');
            var num = end < 0 ? rest : rest[..end];
            if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                throw new ParseException(input, $"avg10 is not a number: '{Clip(num)}'");
            }

            return v;
        }

        return null;
    }

    /// <summary>
    /// The characters File.ReadAllText would return for these bytes: ASCII (every real pids.* file) is widened
    /// into <paramref name="scratch"/>; anything else is decoded like ReadAllText does (UTF-8, byte order marks
    /// honoured, invalid bytes replaced), which allocates but only on that odd path.
    /// </summary>
    private static ReadOnlySpan<char> Chars(ReadOnlySpan<byte> utf8, Span<char> scratch)
    {
        if (utf8.Length <= scratch.Length && Ascii.ToUtf16(utf8, scratch, out var written) == OperationStatus.Done)
        {
            return scratch[..written];
        }

        using var reader = new StreamReader(new MemoryStream(utf8.ToArray()), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static string Clip(ReadOnlySpan<char> s) => s.Length > 40 ? string.Concat(s[..40], "...") : s.ToString();
}
