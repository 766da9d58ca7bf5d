using System.Text.RegularExpressions;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Hosting;

/// <summary>The parser over a real smaps (Fixtures/smaps/SOURCE.md), every expected value counted from the file's own text.</summary>
public sealed partial class SmapsParserTests
{
    private const string Exe = "/var/tmp/lwpwatch-native/e642f801d4882ff9/lwpwatch-0.1.0/bin/lwpwatch";
    private static readonly string Real = File.ReadAllText(TestTools.FixturePath("smaps", "lwpwatch-native.smaps"));

    [Fact]
    public void Every_mapping_of_a_real_smaps_is_read_with_its_rss_and_anonymous_size()
    {
        var mappings = SmapsParser.Parse(Real);
        Assert.Equal(Header().Matches(Real).Count, mappings.Count);
        Assert.Equal(Field("Rss").Matches(Real).Sum(m => long.Parse(m.Groups[1].Value)), mappings.Sum(m => m.RssKb));
        Assert.Equal(Field("Anonymous").Matches(Real).Sum(m => long.Parse(m.Groups[1].Value)), mappings.Sum(m => m.AnonymousKb));
        var stack = Assert.Single(mappings, m => m.Path == "[stack]");
        Assert.Equal("rw-p", stack.Perms);
        Assert.Contains(mappings, m => m.Path.Length == 0);
    }

    [Fact]
    public void Only_the_executables_read_only_mappings_without_a_private_page_are_releasable()
    {
        var mappings = SmapsParser.Parse(Real);
        var exe = mappings.Where(m => m.Path == Exe).ToList();
        Assert.Equal(7, exe.Count);
        var chosen = StartupPages.Releasable(mappings, Exe);
        Assert.Equal(["r--p", "r-xp", "r--p", "r--p"], chosen.Select(m => m.Perms));
        Assert.Equal(164 + 8392 + 5280 + 3416, chosen.Sum(m => m.RssKb));
        // The RELRO pages (relocated, so copied on write) and the data would lose their contents: never chosen.
        Assert.All(exe.Except(chosen), m => Assert.True(m.AnonymousKb > 0 || m.Perms.Contains('w'), m.ToString()));
        // libc's text is read-only too, but it is not ours to drop.
        Assert.DoesNotContain(chosen, m => m.Path.Contains("libc", StringComparison.Ordinal));
    }

    [Fact]
    public void A_path_with_spaces_or_a_deleted_file_is_kept_whole()
    {
        const string text = """
            7f0000000000-7f0000001000 r-xp 00000000 fe:00 12 /opt/my dir/lwpwatch (deleted)
            Rss:                   4 kB
            Anonymous:             0 kB
            VmFlags: rd ex mr mw me
            """;
        var m = Assert.Single(SmapsParser.Parse(text));
        Assert.Equal("/opt/my dir/lwpwatch (deleted)", m.Path);
        Assert.Equal(0x7f0000000000UL, m.Start);
        Assert.Equal(0x7f0000001000UL, m.End);
        Assert.Equal(4, m.RssKb);
    }

    [Theory]
    [InlineData("Rss:  4 kB\n", "before the first mapping")]
    [InlineData("7f0000000000-7f0000001000 r-xp 00000000 fe:00 12 /x\nRss: lots kB\n", "Rss is not a number")]
    [InlineData("7f0000000000-7f0000001000 r-xp 00000000 fe:00 12 /x\ngarbage\n", "not a mapping header")]
    public void Malformed_text_is_a_clear_error(string text, string message)
    {
        var ex = Assert.Throws<FormatException>(() => SmapsParser.Parse(text));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] ", RegexOptions.Multiline)]
    private static partial Regex Header();

    private static Regex Field(string key) => new($@"^{key}:\s+(\d+) kB$", RegexOptions.Multiline);
}
