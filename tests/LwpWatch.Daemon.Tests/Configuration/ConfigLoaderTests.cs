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
        Assert.Contains(r.Errors, e => e == "logging.levle: unknown key (did you mean 'level'?) (line 7, column 3)");
    }

    [Fact]
    public void Every_error_points_at_its_line_and_column_type_and_range_errors_alike()
    {
        var r = ConfigLoader.LoadText("poll:\n  interval: soon\nrules:\n  nearCap:\n    warning: 1.5\nalerts:\n  routes:\n    - receivers: [nope]\n");
        Assert.Equal(
            [
                "poll.interval: expected a duration like 250ms, 15s, 5m, 1h, got 'soon' (line 2, column 13)",
                "rules.nearCap.warning: must be in (0, 1], got 1.5 (line 5, column 14)",
                "alerts.routes[0].receivers: unknown receiver 'nope' (line 8, column 18)",
            ],
            r.Errors);
    }

    [Fact]
    public void A_type_error_in_one_key_does_not_hide_a_range_error_in_its_sibling()
    {
        var r = ConfigLoader.LoadText("rules:\n  nearCap:\n    warning: 1.5\n  forkDenied:\n    window: never\n");
        Assert.Equal(2, r.Errors.Count);
        Assert.Contains(r.Errors, e => e.StartsWith("rules.nearCap.warning: must be in (0, 1]", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.StartsWith("rules.forkDenied.window: expected a duration", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("alerts:\n  routes:\n    - minSeverity: 2\n      receivers: [x]\n", "alerts.routes[0].minSeverity: expected one of Info, Warning, Critical, got '2' (line 3, column 20)")]
    [InlineData("alerts:\n  routes:\n    - minSeverity: CRITICAL\n", null)]
    [InlineData("receivers:\n  - name: a\n    repeatInterval: ~\n", null)]
    [InlineData("receivers:\n  - repeatInterval: often\n", "receivers[0].repeatInterval: expected a duration like 250ms, 15s, 5m, 1h, got a value of 5 characters (not shown: this key may hold a secret) (line 2, column 21)")]
    [InlineData("rules:\n  serviceStuck:\n    overrides:\n      \"svc:/a\": soon\n", "rules.serviceStuck.overrides.svc:/a: expected a duration like 250ms, 15s, 5m, 1h, got 'soon' (line 4, column 17)")]
    public void Enums_by_name_only_optional_durations_and_map_values(string yaml, string? expected)
    {
        var r = ConfigLoader.LoadText(yaml);
        if (expected is null)
        {
            Assert.DoesNotContain(r.Errors, e => e.Contains("expected", StringComparison.Ordinal));
        }
        else
        {
            Assert.Contains(expected, r.Errors);
        }
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
    [InlineData("poll: [1, 2]", "poll: expected a mapping of keys, got a list (line 1, column 7)")]
    [InlineData("poll:\n  interval:\n    a: b", "poll.interval: expected a single value, got a mapping (line 3, column 5)")]
    [InlineData("linux:\n  topHolders: many", "linux.topHolders: expected an integer, got 'many' (line 2, column 15)")]
    [InlineData("linux:\n  includeUnlimited: yes please", "linux.includeUnlimited: expected true or false, got 'yes please' (line 2, column 21)")]
    [InlineData("- a\n- b", "(top level): expected a mapping of keys, got a list (line 1, column 1)")]
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
