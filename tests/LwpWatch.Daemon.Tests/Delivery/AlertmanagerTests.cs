using System.Globalization;
using System.Text.Json;
using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>The daemon against a real Alertmanager: a real cgroup at its cap fires, then clears.</summary>
[Trait("Binary", "lwpwatch")]
public sealed class AlertmanagerTests
{
    [Fact]
    public async Task Alert_shows_in_real_alertmanager_with_our_labels_and_resolves_when_the_finding_clears()
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        using var zones = new CgroupZones(1);
        await using var hook = new TestReceiver();
        await hook.StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var am = new AlertmanagerProcess(hook.Url);
        await am.WaitReadyAsync(http);

        var state = Directory.CreateTempSubdirectory("lwpw-test-state-").FullName;
        var config = Path.Combine(state, "lwpwatch.yaml");
        await File.WriteAllTextAsync(config, zones.DaemonConfig(state) + string.Create(CultureInfo.InvariantCulture, $"""
            alerts:
              runbookUrl: https://runbooks.example.org/lwpwatch#{"{rule}"}
            receivers:
              - name: am
                type: alertmanager
                url: {am.BaseUrl}
            """));
        try
        {
            using var daemon = new DaemonProcess(["--config", config]);
            JsonElement alert = default;
            await KillRestartTests.WaitAsync(
                async () =>
                {
                    var found = (await AmAlerts(http, am)).Where(a => a.GetProperty("labels").TryGetProperty("zone", out var z) && z.GetString() == "/z00").ToList();
                    if (found.Count == 1)
                    {
                        alert = found[0];
                    }

                    return found.Count == 1;
                },
                TimeSpan.FromSeconds(30),
                "the alert in Alertmanager",
                daemon);

            var labels = alert.GetProperty("labels");
            Assert.Equal("LwpWatchNearCap", labels.GetProperty("alertname").GetString());
            Assert.Equal("critical", labels.GetProperty("severity").GetString());
            Assert.Equal("near-cap", labels.GetProperty("rule").GetString());
            Assert.Equal("cgroup", labels.GetProperty("kind").GetString());
            Assert.True(labels.TryGetProperty("host", out _));
            var annotations = alert.GetProperty("annotations");
            Assert.Contains("/z00", annotations.GetProperty("summary").GetString(), StringComparison.Ordinal);
            Assert.Contains("pids.max", annotations.GetProperty("hints").GetString(), StringComparison.Ordinal);
            Assert.Equal("https://runbooks.example.org/lwpwatch#near-cap", annotations.GetProperty("runbook_url").GetString());
            Assert.Equal("active", alert.GetProperty("status").GetProperty("state").GetString());

            // Alertmanager routes it on like any other alert (60 s: a loaded 2-core CI box with a VM image build beside
            // it; the wait returns as soon as the webhook arrives).
            await hook.WaitForAsync(r => r.Accepted.Any(x => x.Body.Contains("\"status\":\"firing\"", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "Alertmanager's firing webhook");

            // The zone's only process ends: usage 0 of 1, the finding clears, LwpWatch pushes the resolve.
            zones.Release("z00");
            await KillRestartTests.WaitAsync(
                async () => !(await AmAlerts(http, am)).Any(a => a.GetProperty("labels").TryGetProperty("zone", out var z) && z.GetString() == "/z00"),
                TimeSpan.FromSeconds(30),
                "the alert to resolve in Alertmanager",
                daemon);
            await hook.WaitForAsync(r => r.Accepted.Any(x => x.Body.Contains("\"status\":\"resolved\"", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "Alertmanager's resolved webhook");
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    private static async Task<List<JsonElement>> AmAlerts(HttpClient http, AlertmanagerProcess am)
    {
        var json = await http.GetStringAsync(new Uri(am.BaseUrl, "/api/v2/alerts"));
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>
    /// A real Alertmanager behind basic auth (its web config, a bcrypt hash): LwpWatch's receiver with username and
    /// secretFile gets the alert in, and the same Alertmanager refuses a request without the header.
    /// </summary>
    [Fact]
    public async Task Alerts_reach_an_alertmanager_that_requires_basic_auth_with_the_password_from_a_file()
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        // bcrypt (cost 10) of Password, made with libxcrypt: python3 -c "import crypt; print(crypt.crypt(PW, '$2b$10$abcdefghijklmnopqrstuv'))".
        const string Password = "am-test-password-7Hq2";
        const string Hash = "$2b$10$abcdefghijklmnopqrstuuLtlt2iycYPzp0mpWJjoqYhESdFuBHv6";
        using var zones = new CgroupZones(1);
        await using var hook = new TestReceiver();
        await hook.StartAsync();
        using var am = new AlertmanagerProcess(hook.Url, new Dictionary<string, string> { ["lwpwatch"] = Hash });
        using var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("lwpwatch:" + Password)));
        await am.WaitReadyAsync(http);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri(am.BaseUrl, "/api/v2/alerts"))).StatusCode);

        var state = Directory.CreateTempSubdirectory("lwpw-test-state-").FullName;
        var passwordFile = Path.Combine(state, "am-password");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        var config = Path.Combine(state, "lwpwatch.yaml");
        await File.WriteAllTextAsync(config, zones.DaemonConfig(state) + string.Create(CultureInfo.InvariantCulture, $"""
            receivers:
              - name: am
                type: alertmanager
                url: {am.BaseUrl}
                username: lwpwatch
                secretFile: {passwordFile}
            """));
        try
        {
            using var daemon = new DaemonProcess(["--config", config]);
            await KillRestartTests.WaitAsync(
                async () => (await AmAlerts(http, am)).Any(a => a.GetProperty("labels").TryGetProperty("zone", out var z) && z.GetString() == "/z00"),
                TimeSpan.FromSeconds(30),
                "the alert in the basic-auth Alertmanager",
                daemon);
            Assert.DoesNotContain(Password, daemon.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
