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
    [InlineData("nope", "unknown command 'nope'")]
    [InlineData("check --bogus", "check: unknown flag --bogus")]
    [InlineData("run --listen", "run: --listen needs a value")]
    [InlineData("check --all=yes", "check: --all takes no value")]
    [InlineData("check extra", "check: unexpected argument 'extra'")]
    public void Misuse_is_explained(string argv, string error) =>
        Assert.Equal(error, CliArgs.Parse(argv.Split(' '), Verbs.All).Error);
}
