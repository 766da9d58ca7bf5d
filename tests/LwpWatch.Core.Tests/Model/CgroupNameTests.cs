using System.Text;
using LwpWatch.Core.Model;
using Xunit;

namespace LwpWatch.Core.Tests.CgroupNames;

public sealed class CgroupNameTests
{
    [Theory]
    [InlineData("system.slice/web.service")]
    [InlineData("caf\u00e9 \u65e5\u672c")]
    [InlineData("$(touch x);`y`|z 'q' \"r\"")]
    [InlineData("\u001b[31mred\r")]
    public void Valid_utf8_without_a_backslash_is_kept_as_it_is(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        Assert.Equal(name, CgroupName.Escape(bytes));
        Assert.Equal(bytes, CgroupName.Unescape(name));
    }

    [Fact]
    public void Bytes_that_are_not_utf8_and_the_backslash_are_written_as_lower_case_hex()
    {
        Assert.Equal("a\\xffb", CgroupName.Escape([(byte)'a', 0xff, (byte)'b']));
        Assert.Equal("system-systemd\\x5cx2dfsck.slice", CgroupName.Escape(Encoding.UTF8.GetBytes("system-systemd\\x2dfsck.slice")));

        // A truncated sequence: each byte of it on its own, then the rest decodes again.
        Assert.Equal("\\xe6\\x97x", CgroupName.Escape([0xe6, 0x97, (byte)'x']));
        Assert.Equal("\\xc0\\xaf", CgroupName.Escape([0xc0, 0xaf])); // overlong '/', never valid UTF-8
    }

    [Fact]
    public void Every_byte_string_round_trips()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[rng.Next(0, 40)];
            rng.NextBytes(bytes);
            var escaped = CgroupName.Escape(bytes);
            Assert.Equal(bytes, CgroupName.Unescape(escaped));
            Assert.Equal(escaped, CgroupName.Escape(CgroupName.Unescape(escaped)));
        }

        for (var b = 0; b < 256; b++)
        {
            Assert.Equal([(byte)b], CgroupName.Unescape(CgroupName.Escape([(byte)b])));
        }
    }

    [Fact]
    public void A_backslash_that_escape_never_writes_is_kept_literally()
    {
        Assert.Equal(Encoding.UTF8.GetBytes("a\\b\\x4\\xZZ\\X41"), CgroupName.Unescape("a\\b\\x4\\xZZ\\X41"));
    }
}
