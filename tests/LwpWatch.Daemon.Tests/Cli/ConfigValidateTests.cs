using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Cli;

[Trait("Binary", "lwpwatch")]
public sealed class ConfigValidateTests
{
    [Fact]
    public void Validate_prints_all_three_mistakes_with_their_keys_and_exits_1()
    {
        var path = Path.Combine(TestTools.NewTempDir(), "three.yaml");
        File.WriteAllText(path, "poll:\n  intervall: 10s\nhttp:\n  listen: ftp://x\nrules:\n  forkDenied:\n    window: never\n");
        var (code, stdout, stderr) = TestTools.Run(TestTools.Lwpwatch, ["config", "validate", "--config", path], TimeSpan.FromSeconds(30));
        Assert.Equal(1, code);
        Assert.Contains("3 problems", stderr, StringComparison.Ordinal);
        Assert.Contains("poll.intervall: unknown key (did you mean 'interval'?)", stderr, StringComparison.Ordinal);
        Assert.Contains("http.listen: must be an http(s)://host:port URL", stderr, StringComparison.Ordinal);
        Assert.Contains("rules.forkDenied.window: expected a duration", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Validate_accepts_the_file_as_a_positional_argument_and_says_ok()
    {
        var path = Path.Combine(TestTools.NewTempDir(), "ok.yaml");
        File.WriteAllText(path, "poll:\n  interval: 5s\n");
        var (code, stdout, _) = TestTools.Run(TestTools.Lwpwatch, ["config", "validate", path], TimeSpan.FromSeconds(30));
        Assert.Equal(0, code);
        Assert.Equal($"{path}: OK\n", stdout);
    }

    [Fact]
    public void Unknown_flags_are_usage_errors()
    {
        var (code, _, stderr) = TestTools.Run(TestTools.Lwpwatch, ["check", "--frmat", "json"], TimeSpan.FromSeconds(30));
        Assert.Equal(64, code);
        Assert.Contains("Unrecognized command or argument '--frmat'", stderr, StringComparison.Ordinal);
    }
}
