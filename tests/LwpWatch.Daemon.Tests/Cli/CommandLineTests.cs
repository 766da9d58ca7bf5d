using System.CommandLine;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Tests.Packaging;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Cli;

/// <summary>
/// The CLI as users meet it (System.CommandLine over Verbs.All): per-verb --help that matches README's CLI
/// table, typo suggestions, usage errors exit 64 (EX_USAGE; `check` uses 1 for "warning"), a bash completion
/// script that completes through the binary itself.
/// </summary>
[Trait("Binary", "lwpwatch")]
public sealed partial class CommandLineTests
{
    [Fact]
    public void Readme_cli_table_and_every_verbs_help_agree()
    {
        var readme = File.ReadAllLines(Repo.Path("README.md"));
        var start = Array.IndexOf(readme, "## CLI");
        Assert.True(start >= 0, "README has a ## CLI section");
        var rows = readme.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| `lwpwatch ", StringComparison.Ordinal))
            .Select(l => Regex.Match(l, @"^\| `(?<cmd>(?:[^`])+)` \|").Groups["cmd"].Value.Replace("\\|", "|", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(Verbs.All.Values.Select(v => v.Usage).Order(StringComparer.Ordinal), rows.Order(StringComparer.Ordinal));

        var root = CommandTree.Build(Verbs.All);
        foreach (var (verb, spec) in Verbs.All)
        {
            var help = Invoke(root, [.. verb.Split(' '), "--help"], out var code);
            Assert.Equal(0, code);
            Assert.Contains(spec.Summary, help, StringComparison.Ordinal);
            Assert.Contains($" {verb} [", help, StringComparison.Ordinal); // "Usage:  <exe> check [options]"
            var inHelp = FlagNames().Matches(help).Select(m => m.Value).Where(f => f != "--help").ToHashSet(StringComparer.Ordinal);
            var inUsage = FlagNames().Matches(spec.Usage).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
            Assert.True(inHelp.SetEquals(inUsage), $"{verb}: --help lists {string.Join(' ', inHelp.Order())}, README/usage {string.Join(' ', inUsage.Order())}");
            Assert.True(inHelp.SetEquals(spec.Flags.Keys.Select(k => "--" + k)), verb);
        }
    }

    [Theory]
    [InlineData("run --help")]
    [InlineData("check --help")]
    [InlineData("check -h")]
    [InlineData("capture --help")]
    [InlineData("explain --help")]
    [InlineData("config validate --help")]
    [InlineData("completion --help")]
    public void Every_verb_answers_help_with_exit_0(string argv)
    {
        var r = TestTools.Run(TestTools.Lwpwatch, argv.Split(' '), TimeSpan.FromSeconds(30));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("Options:", r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chek", "Did you mean one of the following?")]
    [InlineData("check --bogus", "Unrecognized command or argument '--bogus'")]
    [InlineData("check --formt json", "Unrecognized command or argument '--formt'")]
    [InlineData("run --listen", "Required argument missing for option: '--listen'")]
    [InlineData("", "Required command was not provided")]
    public void Usage_errors_exit_64_with_the_problem_on_stderr(string argv, string problem)
    {
        var r = TestTools.Run(TestTools.Lwpwatch, argv.Split(' ', StringSplitOptions.RemoveEmptyEntries), TimeSpan.FromSeconds(30));
        Assert.Equal(64, r.ExitCode);
        Assert.Contains(problem, r.Stderr + r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_typo_gets_the_right_suggestion()
    {
        var r = TestTools.Run(TestTools.Lwpwatch, ["chek"], TimeSpan.FromSeconds(30));
        Assert.Matches(@"Did you mean one of the following\?\s+check", r.Stdout + r.Stderr);
    }

    [Fact]
    public void A_control_character_in_a_bad_argument_is_escaped_on_stderr()
    {
        var r = TestTools.Run(TestTools.Lwpwatch, ["check", "\u001b[2Jx"], TimeSpan.FromSeconds(30));
        Assert.Equal(64, r.ExitCode);
        Assert.DoesNotContain('\u001b', r.Stderr);
        Assert.Contains("[2Jx", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bash_completion_script_completes_verbs_flags_and_values_through_the_binary()
    {
        var script = TestTools.Run(TestTools.Lwpwatch, ["completion", "bash"], TimeSpan.FromSeconds(30));
        Assert.Equal(0, script.ExitCode);
        var dir = TestTools.NewTempDir();
        try
        {
            var file = Path.Combine(dir, "lwpwatch.bash");
            File.WriteAllText(file, script.Stdout);
            string Complete(string line, params string[] words)
            {
                var cmd = $"source {file}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; COMP_WORDS=({TestTools.Lwpwatch} {string.Join(' ', words)}); COMP_CWORD={words.Length}; _lwpwatch_complete; printf '%s\\n' \"${{COMPREPLY[@]}}\"";
                var r = TestTools.Run("bash", ["-c", cmd], TimeSpan.FromSeconds(30));
                Assert.Equal(0, r.ExitCode);
                return r.Stdout;
            }

            Assert.Equal("check", Complete("lwpwatch ch", "ch").Trim());
            Assert.Equal("--format", Complete("lwpwatch check --fo", "check", "--fo").Trim());
            Assert.Equal(["json", "table"], Complete("lwpwatch check --format ", "check", "--format", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
            Assert.Contains("validate", Complete("lwpwatch config ", "config", ""), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Invoke(RootCommand root, string[] argv, out int code)
    {
        using var output = new StringWriter();
        code = root.Parse(argv).Invoke(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        return output.ToString();
    }

    [GeneratedRegex("--[a-z]+")]
    private static partial Regex FlagNames();
}
