using LwpWatch.Daemon.Configuration;

namespace LwpWatch.Daemon.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    [Fact]
    public void Three_mistakes_are_all_reported_with_their_keys()
    {
        var r = ConfigLoader.LoadText("""
            poll:
              interval: soon
            rules:
              nearCap:
                warning: 1.5
            logging:
              levle: Debug
            """);
        Assert.False(r.IsValid);
        Assert.Equal(3, r.Errors.Count);
        Assert.Contains(r.Errors, e => e.StartsWith("poll.interval: expected a duration", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.StartsWith("rules.nearCap.warning: must be in (0, 1]", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e == "logging.levle: unknown key (did you mean 'level'?)");
    }

    [Fact]
    public void Values_bind_onto_defaults_and_untouched_keys_keep_them()
    {
        var r = ConfigLoader.LoadText("poll:\n  interval: 1m30s\nlinux:\n  cgroupRoot: /tmp/x\n");
        Assert.Empty(r.Errors);
        Assert.Equal(TimeSpan.FromSeconds(90), r.Options.Poll.Interval);
        Assert.Equal("/tmp/x", r.Options.Linux.CgroupRoot);
        Assert.Equal("/proc", r.Options.Linux.ProcRoot);
        Assert.Equal(0.95, r.Options.Rules.NearCap.Critical);
    }

    [Theory]
    [InlineData("poll: [1, 2]", "poll: expected a mapping of keys, got a list")]
    [InlineData("poll:\n  interval:\n    a: b", "poll.interval: expected a single value, got a mapping")]
    [InlineData("linux:\n  topHolders: many", "linux.topHolders: expected an integer, got 'many'")]
    [InlineData("linux:\n  includeUnlimited: yes please", "linux.includeUnlimited: expected true or false, got 'yes please'")]
    [InlineData("- a\n- b", "(top level): expected a mapping of keys, got a list")]
    public void Type_errors_name_the_key(string yaml, string expected) =>
        Assert.Contains(expected, ConfigLoader.LoadText(yaml).Errors);

    [Fact]
    public void Yaml_syntax_errors_give_a_line_and_column_not_an_exception()
    {
        var r = ConfigLoader.LoadText("poll:\n  interval: [1s\n", "bad.yaml");
        var e = Assert.Single(r.Errors);
        Assert.StartsWith("bad.yaml:", e, StringComparison.Ordinal);
        Assert.Contains("YAML syntax error", e, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_file_means_defaults() => Assert.Empty(ConfigLoader.LoadText("").Errors);

    [Fact]
    public void Unreadable_file_is_an_error_naming_the_path()
    {
        var r = ConfigLoader.LoadFile("/nonexistent/lwpwatch.yaml");
        Assert.Contains(r.Errors, e => e.StartsWith("/nonexistent/lwpwatch.yaml: cannot read", StringComparison.Ordinal));
    }
}
