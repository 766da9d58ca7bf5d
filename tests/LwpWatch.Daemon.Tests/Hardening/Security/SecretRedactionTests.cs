using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Hardening.Security;

/// <summary>Secrets come only from files/env and never reach `config validate` output or the daemon's logs.</summary>
[Trait("Category", "Hardening")]
[Trait("Binary", "lwpwatch")]
public sealed class SecretRedactionTests : IDisposable
{
    private const string SlackSecret = "SLACKSECRETq8w7e6";
    private const string UrlPassword = "pwSECRETz1x2";
    private const string QuerySecret = "qsSECRET9k8j";
    private const string HmacKey = "hmacSECRET5t4r";
    private const string ApiToken = "apiSECRET0p9o";
    private const string Mistyped = "mtSECRET7u6y";
    private const string WrongType = "wtSECRET3e4r";
    private const string InlineSlack = "inSECRET8i9o";
    private const string AmPassword = "amSECRET1q2w";
    private readonly string _dir = TestTools.NewTempDir("lwpw-sec-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Config_validate_never_prints_a_secret_whether_the_config_is_valid_or_not()
    {
        var good = Write("good.yaml", Receivers("https"));
        var bad = Write("bad.yaml", Receivers("htp") + "  - name: broken\n    type: webhook\n    url: ftp://u:" + UrlPassword + "@x.invalid/?t=" + QuerySecret + "\n    timeout: soon\n");
        // Secrets where they do not belong: a mistyped key, the wrong type, an inline Slack URL, URL user-info.
        var misplaced = Write("misplaced.yaml", $$"""
            receivers:
              - name: am
                type: alertmanager
                url: https://lwpwatch:{{AmPassword}}@127.0.0.1:9093/
                timeout: https://hooks.slack.com/services/T0/B0/{{WrongType}}
                sendResolved: {{WrongType}}
                secretFiel: {{Mistyped}}
              - name: slack
                type: slack
                url: https://hooks.slack.com/services/T0/B0/{{InlineSlack}}
                repeatInterval: [{{WrongType}}]
              - name: {{Mistyped}}:x
                type: {{WrongType}}
                url: http://127.0.0.1:9/
            http:
              protectMetrics: {{WrongType}}
              apiTokenFile: {a: {{WrongType}}}
              maxRequestHeaderBytes: {{WrongType}}
            """);
        var scalarSection = Write("scalar.yaml", $"receivers: {WrongType}\nhttp: {Mistyped}\n");
        foreach (var path in new[] { good, bad, misplaced, scalarSection })
        {
            var (code, stdout, stderr) = TestTools.Run(TestTools.Lwpwatch, ["config", "validate", "--config", path], TimeSpan.FromSeconds(30), env: Env());
            AssertClean(stdout + stderr);
            Assert.Equal(path == good ? 0 : 1, code);
            if (path == misplaced)
            {
                // Every one of them is reported, by key.
                foreach (var key in new[] { "receivers[0].url:", "receivers[0].timeout:", "receivers[0].sendResolved:", "receivers[0].secretFiel: unknown key", "receivers[1].url: a Slack webhook URL is a credential", "receivers[1].repeatInterval:", "receivers[2].name:", "receivers[2].type:", "http.protectMetrics:", "http.apiTokenFile:", "http.maxRequestHeaderBytes:" })
                {
                    Assert.Contains(key, stderr, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public async Task The_daemon_log_never_contains_a_secret()
    {
        var config = Receivers("https") + $"state:\n  dir: {_dir}\nhttp:\n  apiTokenEnv: LWPW_TEST_API\nlogging:\n  level: debug\n  format: json\n";
        using var d = new DaemonProcess(["--interval", "1s"], config, Env());
        await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(3));
        d.Kill(hard: false);
        Assert.Contains("listening", d.Output, StringComparison.OrdinalIgnoreCase);
        AssertClean(d.Output);
    }

    private static void AssertClean(string text)
    {
        foreach (var secret in new[] { SlackSecret, UrlPassword, QuerySecret, HmacKey, ApiToken, Mistyped, WrongType, InlineSlack, AmPassword })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    private Dictionary<string, string> Env() => new() { ["LWPW_TEST_API"] = ApiToken, ["LWPW_TEST_SLACK"] = $"https://hooks.slack.com/services/T0/B0/{SlackSecret}" };

    private string Receivers(string scheme)
    {
        var keyFile = Write("hmac.key", HmacKey + "\n");
        return "receivers:\n"
            + "  - name: slack-oncall\n    type: slack\n    urlEnv: LWPW_TEST_SLACK\n"
            + $"  - name: hook\n    type: webhook\n    url: {scheme}://127.0.0.1:9/hook?token={QuerySecret}\n    secretFile: {keyFile}\n";
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
