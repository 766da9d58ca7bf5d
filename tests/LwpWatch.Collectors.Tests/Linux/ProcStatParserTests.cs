using LwpWatch.Collectors.Linux;

namespace LwpWatch.Collectors.Tests.Linux;

public sealed class ProcStatParserTests
{
    private const string Stat = "4242 (zfs mount) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 5 0 0 20 0 397 0 123456 2000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

    [Fact]
    public void Reads_pid_comm_and_threads_even_with_spaces_in_comm()
    {
        var s = ProcStatParser.Parse(Stat, "/proc/4242/stat");
        Assert.Equal((4242, "zfs mount", 397L), (s.Pid, s.Comm, s.Threads));
    }

    [Fact]
    public void Comm_with_parentheses_is_handled_by_the_last_paren()
    {
        var s = ProcStatParser.Parse(Stat.Replace("(zfs mount)", "(a) b (c)", StringComparison.Ordinal), "x");
        Assert.Equal("a) b (c", s.Comm);
        Assert.Equal(397, s.Threads);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 zfs S 1")]
    [InlineData("x (zfs) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18")]
    [InlineData("4242 (zfs) S 1 2")]
    [InlineData("4242 (zfs) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 many 18")]
    public void Truncated_or_garbled_stat_is_a_named_parse_error(string text) =>
        Assert.Throws<ParseException>(() => ProcStatParser.Parse(text, "/proc/1/stat"));

    [Fact]
    public void Cmdline_is_nul_joined_and_cut_like_psargs()
    {
        Assert.Equal("zfs mount -va", ProcStatParser.Cmdline("zfs\0mount\0-va\0"));
        Assert.Equal(80, ProcStatParser.Cmdline(new string('a', 200)).Length);
    }
}
