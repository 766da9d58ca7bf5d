using LwpWatch.Daemon.Cli;

namespace LwpWatch.Daemon.Tests.Cli;

public sealed class CliArgsTests
{
    [Fact]
    public void Two_word_verbs_flags_with_and_without_equals()
    {
        var (a, e) = CliArgs.Parse(["config", "validate", "--config=/x.yaml"], Verbs.All);
        Assert.Null(e);
        Assert.Equal("config validate", a!.Verb);
        Assert.Equal("/x.yaml", a.Flag("config"));
        (a, _) = CliArgs.Parse(["run", "--listen", "http://127.0.0.1:1", "--interval", "2s"], Verbs.All);
        Assert.Equal(("http://127.0.0.1:1", "2s"), (a!.Flag("listen"), a.Flag("interval")));
    }

    [Theory]
    [InlineData("nope", "Unrecognized command or argument 'nope'.")]
    [InlineData("check --bogus", "Unrecognized command or argument '--bogus'.")]
    [InlineData("run --listen", "Required argument missing for option: '--listen'.")]
    [InlineData("check --all=yes", "Unrecognized command or argument 'yes'.")]
    [InlineData("check extra", "Unrecognized command or argument 'extra'.")]
    [InlineData("explain a b", "Unrecognized command or argument 'b'.")]
    public void Misuse_is_explained(string argv, string error) =>
        Assert.Contains(error, CliArgs.Parse(argv.Split(' '), Verbs.All).Error, StringComparison.Ordinal);

    [Fact]
    public void Flags_that_were_not_given_are_absent_and_booleans_are_true()
    {
        var (a, e) = CliArgs.Parse(["check", "--all", "--format", "json"], Verbs.All);
        Assert.Null(e);
        Assert.Equal("true", a!.Flag("all"));
        Assert.Equal("json", a.Flag("format"));
        Assert.False(a.Has("config"));
        Assert.False(a.Has("replay"));
        (a, _) = CliArgs.Parse(["explain", "stuck.service", "--polls=2"], Verbs.All);
        Assert.Equal(["stuck.service"], a!.Positionals);
        Assert.Equal("2", a.Flag("polls"));
    }
}
