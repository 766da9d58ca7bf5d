using System.Diagnostics;
using System.Text;
using LwpWatch.Core.Text;

namespace LwpWatch.Core.Tests.Text;

public sealed class TerminalTextTests
{
    /// <summary>Every character the escaping rewrites: C0, DEL, C1, the line separators and the bidi controls.</summary>
    public static IEnumerable<char> Escaped() =>
        Enumerable.Range(0, 0x20).Concat([0x7f]).Concat(Enumerable.Range(0x80, 0x20))
            .Concat([0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069])
            .Select(i => (char)i);

    [Theory]
    [InlineData("a\u001b[31mred", "a\\033[31mred")]
    [InlineData("line\r\nforged", "line\\r\\nforged")]
    [InlineData("bell\a", "bell\\a")]
    [InlineData("tab\there", "tab\\there")]
    [InlineData("del\u007f", "del\\177")]
    [InlineData("nul\0", "nul\\000")]
    [InlineData("csi\u009b2J", "csi\\302\\2332J")]
    [InlineData("nel\u0085", "nel\\302\\205")]
    [InlineData("rlo\u202egnp.exe", "rlo\\342\\200\\256gnp.exe")]
    [InlineData("ls\u2028sep", "ls\\342\\200\\250sep")]
    public void ControlCharactersAreWrittenAsLsDashBWritesThem(string raw, string expected) =>
        Assert.Equal(expected, TerminalText.Escape(raw));

    [Theory]
    [InlineData("plain")]
    [InlineData("/sys/fs/cgroup/pids/tenant/a b")]
    [InlineData("systemctl set-property 'dev-foo\\x2dbar.service' TasksMax=10")]
    [InlineData("zone ünïcödé 区域 🙂")]
    [InlineData("")]
    public void PrintableTextBackslashesAndSpacesAreKeptAsTheyAre(string s) =>
        Assert.Same(s, TerminalText.Escape(s));

    [Fact]
    public void NullIsEmpty() => Assert.Equal("", TerminalText.Escape(null));

    [Fact]
    public void NoEscapedCharacterSurvivesAndNothingElseIsTouched()
    {
        var all = new string(Escaped().ToArray());
        var escaped = TerminalText.Escape("<" + all + ">");
        Assert.DoesNotContain(escaped, c => c < 0x20 || c is >= '\u007f' and <= '\u009f' || Escaped().Contains(c));
        Assert.StartsWith("<", escaped, StringComparison.Ordinal);
        Assert.EndsWith(">", escaped, StringComparison.Ordinal);
        Assert.False(TerminalText.NeedsEscape(escaped));
        for (var c = 0x20; c < 0x3000; c++)
        {
            if (!Escaped().Contains((char)c))
            {
                var s = ((char)c).ToString();
                Assert.Same(s, TerminalText.Escape(s));
            }
        }
    }

    [Fact]
    public void InterpolationEscapesTheHolesOnlyAndAlignsTheEscapedText()
    {
        var sb = new StringBuilder();
        var name = "x\n  pid 1 fake";
        sb.AppendEscaped($"  pid {42,-4}|{name}|{1.5:0.0}|{name,20}\n");
        Assert.Equal("  pid 42  |x\\n  pid 1 fake|1.5|" + "x\\n  pid 1 fake".PadLeft(20) + "\n", sb.ToString());
        Assert.Equal(1, sb.ToString().Count(c => c == '\n'));
    }

    /// <summary>
    /// The form is checked against the real GNU ls: files named with each C0 (but NUL and '/', which no file name
    /// can hold), DEL and C1 character, listed with `ls -b` in a UTF-8 locale, print as Escape prints them.
    /// </summary>
    [Fact]
    public void TheFormIsTheOneGnuLsDashBPrints()
    {
        var dir = Directory.CreateTempSubdirectory("lwpwatch-lsb-");
        try
        {
            var chars = Escaped().Where(c => c is not ('\0' or '/') && c < 0x2000).ToList();
            foreach (var c in chars)
            {
                File.WriteAllBytes(Path.Combine(dir.FullName, "f" + c + "g"), []);
            }

            var psi = new ProcessStartInfo("ls", ["-1b", dir.FullName]) { RedirectStandardOutput = true, StandardOutputEncoding = Encoding.UTF8 };
            psi.Environment["LC_ALL"] = "C.UTF-8";
            using var ls = Process.Start(psi)!;
            var listed = ls.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            ls.WaitForExit();
            Assert.Equal(0, ls.ExitCode);
            Assert.Equal(chars.Count, listed.Count);
            foreach (var c in chars)
            {
                Assert.Contains(TerminalText.Escape("f" + c + "g"), listed);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
