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
    public void Validate_names_the_bad_member_of_an_alertmanager_cluster_by_its_key_path()
    {
        var dir = TestTools.NewTempDir();
        var ok = Path.Combine(dir, "ok.yaml");
        File.WriteAllText(ok, "receivers:\n  - name: am\n    type: alertmanager\n    urls: ['http://127.0.0.1:9093', 'http://127.0.0.1:9094']\n  - name: old\n    type: alertmanager\n    url: http://127.0.0.1:9095\n");
        Assert.Equal(0, TestTools.Run(TestTools.Lwpwatch, ["config", "validate", ok], TimeSpan.FromSeconds(30)).ExitCode);

        var bad = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(bad, "receivers:\n  - name: am\n    type: alertmanager\n    urls: ['http://127.0.0.1:9093', 'not a url']\n  - name: hook\n    type: webhook\n    urls: ['http://127.0.0.1:1/x']\n  - name: am2\n    type: alertmanager\n    urls: http://127.0.0.1:9096\n");
        var (code, _, stderr) = TestTools.Run(TestTools.Lwpwatch, ["config", "validate", bad], TimeSpan.FromSeconds(30));
        Assert.Equal(1, code);
        Assert.Contains("receivers[0].urls[1]: must be an absolute http(s) URL", stderr, StringComparison.Ordinal);
        Assert.Contains("receivers[1].urls: only for type alertmanager", stderr, StringComparison.Ordinal);
        Assert.Contains("receivers[2].urls:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_flags_are_usage_errors()
    {
        var (code, _, stderr) = TestTools.Run(TestTools.Lwpwatch, ["check", "--frmat", "json"], TimeSpan.FromSeconds(30));
        Assert.Equal(64, code);
        Assert.Contains("Unrecognized command or argument '--frmat'", stderr, StringComparison.Ordinal);
    }
}
