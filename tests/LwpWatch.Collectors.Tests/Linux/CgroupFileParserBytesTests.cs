using System.Text;
using LwpWatch.Collectors.Linux;
using Xunit;

namespace LwpWatch.Collectors.Tests.Linux;

/// <summary>
/// The byte overloads and the allocation-free fast paths of <see cref="CgroupFileParser"/> must give exactly what
/// the string parsers give for the text File.ReadAllText would return: same values, same errors.
/// </summary>
public sealed class CgroupFileParserBytesTests
{
    public static TheoryData<string> Inputs() =>
    [
        "max", "max\n", " max \n", "0\n", "20\n", "007\n", "9223372036854775807\n", "9223372036854775808\n",
        "123456789012345678\n", "1234567890123456789\n", "", "\n", "-1\n", "+5\n", "1 2\n", "5\r\n", "5\f", "\t5\v\n",
        "12abc\n", "max 0\n", "max 31\n", "max  7 \n", "max\t7\n", "max 7\nmax.imposed 2\n", "max.imposed 2\nmax 9\n",
        "foo 1\n", "foo\n", " max 3", "max 3\r\nfoo 1\r\n", "a\rb 5\nmax 3\n", "max 1\fmax 2\n", "\u00a05\u00a0", "max\u00a05\n",
        "max 5\u2028x\n", "\u0085max 4", "5\u001f", "max 5\0", "\0", "max x\n", "x 1\nmax\n", "max \n",
    ];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void ParseCount_bytes_and_fast_path_match_the_string_parser(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var expected = Outcome(() => CgroupFileParser.ParseCount(text, "f"));

        Assert.Equal(expected, Outcome(() => CgroupFileParser.ParseCount(bytes, "f")));
        if (CgroupFileParser.TryParseCountFast(bytes, out var fast))
        {
            Assert.Equal(expected, fast.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void ParseMax_bytes_and_fast_path_match_the_string_parser(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var expected = Outcome(() => CgroupFileParser.ParseMax(text, "f"));

        Assert.Equal(expected, Outcome(() => CgroupFileParser.ParseMax(bytes, "f")));
        if (CgroupFileParser.TryParseMaxFast(bytes, out var fast))
        {
            Assert.Equal(expected, fast?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null");
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void ParseEventsMax_bytes_and_fast_path_match_the_string_parser(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var expected = Outcome(() => CgroupFileParser.ParseEventsMax(text, "f"));

        Assert.Equal(expected, Outcome(() => CgroupFileParser.ParseEventsMax(bytes, "f")));
        if (CgroupFileParser.TryParseEventsMaxFast(bytes, out var fast))
        {
            Assert.Equal(expected, fast.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Byte_order_marks_and_invalid_utf8_decode_like_ReadAllText()
    {
        var bom = new byte[] { 0xEF, 0xBB, 0xBF, (byte)'4', (byte)'2', (byte)'\n' };
        var invalid = new byte[] { (byte)'4', 0xFF, (byte)'\n' };

        Assert.Equal(42, CgroupFileParser.ParseCount(bom, "f"));
        Assert.False(CgroupFileParser.TryParseCountFast(bom, out _));
        var ex = Assert.Throws<ParseException>(() => CgroupFileParser.ParseCount(invalid, "f"));
        Assert.Equal(Assert.Throws<ParseException>(() => CgroupFileParser.ParseCount("4\uFFFD\n", "f")).Message, ex.Message);
    }

    [Fact]
    public void The_fast_paths_accept_what_the_kernel_writes()
    {
        Assert.True(CgroupFileParser.TryParseMaxFast("max\n"u8, out var unlimited));
        Assert.Null(unlimited);
        Assert.True(CgroupFileParser.TryParseMaxFast("20\n"u8, out var cap));
        Assert.Equal(20, cap);
        Assert.True(CgroupFileParser.TryParseCountFast("9\n"u8, out var current));
        Assert.Equal(9, current);
        Assert.True(CgroupFileParser.TryParseEventsMaxFast("max 31\n"u8, out var denials));
        Assert.Equal(31, denials);
    }

    private static string Outcome(Func<long?> parse)
    {
        try
        {
            return parse()?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null";
        }
        catch (ParseException ex)
        {
            return "error: " + ex.Message;
        }
    }
}
