using System.Text;
using CsCheck;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Tests.Shared;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>
/// The hint renderer against REAL shells (dash, Debian's /bin/sh, and bash): every rendered word, run as printed,
/// reaches the program as exactly its bytes, a redirect writes exactly the intended file, and nothing else runs.
/// Over the hostile-name corpus (tests/corpus/hostile-names.txt) and a property over arbitrary bytes.
/// </summary>
public sealed class ShellQuoteTests
{
    public static TheoryData<string> Shells() => [.. ShellHarness.AvailableShells()];

    [Theory]
    [InlineData("web.service", "web.service")]
    [InlineData("/sys/fs/cgroup/pids/a/pids.max", "/sys/fs/cgroup/pids/a/pids.max")]
    [InlineData("TasksMax=60", "TasksMax=60")]
    [InlineData("-rf", "-rf")]                       // shell-safe; option safety is the caller's "--"
    [InlineData("a b", "'a b'")]
    [InlineData("a;touch x;b", "'a;touch x;b'")]
    [InlineData("$(touch${IFS}x)", "'$(touch${IFS}x)'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    [InlineData("*", "'*'")]
    [InlineData("~", "'~'")]
    [InlineData("é日本", "'é日本'")]
    [InlineData("esc\u001b[31m", "\"$(printf 'esc\\033[31m')\"")]
    [InlineData("-\u0007'%\\", "\"$(printf '\\055\\007\\047%%\\\\')\"")]
    [InlineData("bidi\u202e", "\"$(printf 'bidi\\342\\200\\256')\"")]
    public void Words_take_the_plainest_safe_form(string word, string rendered) =>
        Assert.Equal(rendered, ShellQuote.Word(word));

    [Fact]
    public void Bytes_that_are_not_utf8_are_written_as_octal()
    {
        Assert.Equal("\"$(printf '/a/invalid\\377/pids.max')\"", ShellWord.CgroupPath("/a/invalid\\xff/pids.max").Render());
        Assert.Equal("\"$(printf 'x')\"'\n'", ShellQuote.Word("x\n")); // command substitution would drop it
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("$x")]
    [InlineData("'")]
    [InlineData("")]
    [InlineData("~root")]
    public void A_literal_that_would_need_quoting_is_refused(string word) =>
        Assert.Throws<ArgumentException>(() => ShellWord.Literal(word));

    [Fact]
    public void Rendered_corpus_words_are_printable_text_only()
    {
        foreach (var e in HostileNames.Escaped())
        {
            var r = ShellWord.CgroupPath(e).Render();
            Assert.DoesNotContain(r, c => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format);
        }
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Every_corpus_name_is_one_exact_argument(string shell)
    {
        using var sh = new ShellHarness(shell);
        foreach (var escaped in HostileNames.Escaped())
        {
            var bytes = CgroupName.Unescape(escaped);
            foreach (var word in new[] { ShellWord.Text(Encoding.UTF8.GetString(bytes)), ShellWord.CgroupPath(escaped) })
            {
                if (word.Kind == ShellWordKind.Text && !CgroupName.IsValidUtf8(bytes))
                {
                    continue; // a Text word is a .NET string: only names that are UTF-8 can be one
                }

                var hint = Hint.Command(RuleIds.NearCap, "/z", HintEffect.Persistent, ShellWord.Literal("systemctl"), ShellWord.Literal("set-property"), word, ShellWord.Literal("TasksMax=60"));
                var run = sh.Run(hint.Render());
                Assert.True(run.ExitCode == 0, $"{shell} -c {hint.Render()}: exit {run.ExitCode} {run.Stderr}");
                var argv = Assert.Single(run.Programs);
                Assert.Equal(["systemctl"u8.ToArray(), "set-property"u8.ToArray(), bytes, "TasksMax=60"u8.ToArray()], argv);
                Assert.Empty(ShellHarness.List(sh.Tree)); // no marker: nothing else ran
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Every_corpus_path_as_redirect_target_writes_exactly_that_file(string shell)
    {
        using var sh = new ShellHarness(shell);
        var expected = new List<byte[]>();
        foreach (var escaped in HostileNames.Escaped())
        {
            // The name's directory exists (as a cgroup's would); pids.max inside it is the only file to change.
            var dir = Encoding.UTF8.GetBytes(sh.Tree + "/").Concat(CgroupName.Unescape(escaped)).ToArray();
            ShellHarness.MakeDirectories(dir);
            var target = dir.Concat("/pids.max"u8.ToArray()).ToArray();
            var hint = Hint.WriteFile(RuleIds.NearCap, "/z", HintEffect.Live, ShellWord.CgroupPath(CgroupName.Escape(target)), ShellWord.Number(60));
            var before = ShellHarness.List(sh.Tree);
            var run = sh.Run(hint.Render());
            Assert.True(run.ExitCode == 0, $"{shell} -c {hint.Render()}: exit {run.ExitCode} {run.Stderr}");
            Assert.Equal("60\n", ShellHarness.ReadFile(target));
            var after = ShellHarness.List(sh.Tree);
            var added = after.Where(a => !before.Any(b => b.AsSpan().SequenceEqual(a))).ToList();
            var rel = target[(Encoding.UTF8.GetByteCount(sh.Tree) + 1)..];
            Assert.True(added.Count <= 1 && added.All(a => a.AsSpan().SequenceEqual(rel)), $"{hint.Render()} created {string.Join(", ", added.Select(a => CgroupName.Escape(a)))}");
            Assert.Empty(run.Programs);
            expected.Add(rel);
        }

        // Every pids.max written is one of ours, and nothing else exists but the directories made for them.
        foreach (var p in ShellHarness.List(sh.Tree))
        {
            if (p.AsSpan().EndsWith("/pids.max"u8))
            {
                Assert.Contains(expected, e => e.AsSpan().SequenceEqual(p));
            }
        }
    }

    /// <summary>Arbitrary bytes (anything an argv can carry: no NUL), many words per shell run.</summary>
    [Theory]
    [MemberData(nameof(Shells))]
    public void Any_bytes_reach_the_program_exactly(string shell)
    {
        using var sh = new ShellHarness(shell);
        var word = Gen.Byte.Where(b => b != 0).Array[0, 40];
        word.Array[1, 12].Sample(words =>
        {
            var argv = words.Select(w => ShellWord.CgroupPath(CgroupName.Escape(w))).ToArray();
            var line = Hint.Command(RuleIds.NearCap, "/z", HintEffect.ReadOnly, [ShellWord.Literal("docker"), .. argv]).Render();
            var run = sh.Run(line);
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
            Assert.Equal([(byte[])[.. "docker"u8], .. words], Assert.Single(run.Programs));
            Assert.Empty(ShellHarness.List(sh.Tree));
        }, iter: 150, threads: 1);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Any_cgroup_name_as_redirect_target_writes_that_file(string shell)
    {
        using var sh = new ShellHarness(shell);
        var name = Gen.Byte.Where(b => b is not (0 or (byte)'/' or (byte)'\n')).Array[1, 60]
            .Where(n => !(n.Length <= 2 && n.All(b => b == (byte)'.')));
        var i = 0;
        name.Sample(n =>
        {
            // A fresh parent per sample, so two equal samples do not share a file.
            var dir = Encoding.UTF8.GetBytes($"{sh.Tree}/{i++}/").Concat(n).ToArray();
            ShellHarness.MakeDirectories(dir);
            var target = dir.Concat("/pids.max"u8.ToArray()).ToArray();
            var run = sh.Run(Hint.WriteFile(RuleIds.NearCap, "/z", HintEffect.Live, ShellWord.CgroupPath(CgroupName.Escape(target)), ShellWord.Number(7)).Render());
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
            Assert.Equal("7\n", ShellHarness.ReadFile(target));
        }, iter: 150, threads: 1);
        Assert.Equal(150, ShellHarness.List(sh.Tree).Count(p => p.AsSpan().EndsWith("/pids.max"u8)));
    }
}
