using LwpWatch.Daemon.Configuration;

namespace LwpWatch.Daemon.Tests.Configuration;

/// <summary>Config errors quote a bad value, except where it may be a secret (receivers, http, secret-named keys).</summary>
public sealed class ConfigSecretsTests
{
    [Theory]
    [InlineData("receivers")]
    [InlineData("receivers[3].timeout")]
    [InlineData("http")]
    [InlineData("http.maxRequestHeaderBytes")]
    [InlineData("alerts.someToken")]
    [InlineData("anything.passwordFile")]
    [InlineData("x.apiKey")]
    public void SecretBearingPaths(string path) => Assert.True(ConfigSecrets.IsSecretBearing(path));

    [Theory]
    [InlineData("poll.interval")]
    [InlineData("linux.topHolders")]
    [InlineData("httpish")]
    [InlineData("receiversx.a")]
    public void OrdinaryPaths(string path) => Assert.False(ConfigSecrets.IsSecretBearing(path));

    [Fact]
    public void AWrongValueIsQuotedInOrdinaryKeysAndHiddenInSecretBearingOnes()
    {
        var r = ConfigLoader.LoadText("poll:\n  interval: fast\nreceivers:\n  - name: am\n    type: alertmanager\n    url: http://127.0.0.1:9093\n    timeout: \"it's-S3CRET\"\n");
        Assert.Contains("poll.interval: expected a duration like 250ms, 15s, 5m, 1h, got 'fast' (line 2, column 13)", r.Errors);
        Assert.Contains("receivers[0].timeout: expected a duration like 250ms, 15s, 5m, 1h, got a value of 11 characters (not shown: this key may hold a secret) (line 7, column 14)", r.Errors);
    }

    [Fact]
    public void OnlyTheFailingKeysOwnValueIsHiddenNotTheWordsOfTheMessage()
    {
        // type "slack" elsewhere must not blank "slack" out of the list of types.
        var r = ConfigLoader.LoadText("receivers:\n  - name: s\n    type: slack\n    urlEnv: S\n  - name: e\n    type: email\n    url: http://x.example/\n");
        Assert.Contains("receivers[1].type: must be one of alertmanager, webhook, slack, pagerduty, got a value of 5 characters (not shown: this key may hold a secret) (line 6, column 11)", r.Errors);
    }

    [Fact]
    public void ASectionGivenAsOneValueIsHiddenToo()
    {
        var r = ConfigLoader.LoadText("receivers: xoxb-S3CRET\nhttp: S3CRET2\n");
        Assert.Equal(2, r.Errors.Count);
        Assert.All(r.Errors, e => Assert.DoesNotContain("S3CRET", e, StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.StartsWith("receivers: ", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.StartsWith("http: ", StringComparison.Ordinal));
    }
}
