using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// End to end on the real daemon: real cgroups at their cap, `lwpwatch run` as a child process, a real
/// HTTP receiver, SIGKILL while 20 notifications wait in the outbox.
/// </summary>
[Trait("Binary", "lwpwatch")]
public sealed class KillRestartTests
{
    [Fact]
    public async Task Sigkill_with_20_pending_notifications_loses_none_after_restart()
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        using var zones = new CgroupZones(20);
        var state = Directory.CreateTempSubdirectory("lwpw-test-state-").FullName;
        await using var rx = new TestReceiver();
        var config = Path.Combine(state, "lwpwatch.yaml");
        await File.WriteAllTextAsync(config, zones.DaemonConfig(state) + string.Create(CultureInfo.InvariantCulture, $"""
            receivers:
              - name: hook
                type: webhook
                url: {rx.Url}
                timeout: 2s
            delivery:
              initialBackoff: 100ms
              maxBackoff: 500ms
            """));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using (var daemon = new DaemonProcess(["--config", config]))
            {
                // The receiver is down: all 20 alerts queue up.
                await WaitAsync(async () => await Gauge(http, daemon.BaseUrl, "lwpwatch_outbox_depth") == 20, TimeSpan.FromSeconds(60), "20 queued notifications", daemon);
                await WaitAsync(async () => await Gauge(http, daemon.BaseUrl, "lwpwatch_notifications_total{receiver=\"hook\",result=\"retry\"}") >= 1, TimeSpan.FromSeconds(20), "a failed attempt", daemon);
                daemon.Kill();
            }

            Assert.Empty(rx.Requests);
            await rx.StartAsync();
            using (var daemon = new DaemonProcess(["--config", config]))
            {
                await rx.WaitForAsync(r => r.Accepted.Count >= 20, TimeSpan.FromSeconds(60), "20 deliveries after the restart");
                await WaitAsync(async () => await Gauge(http, daemon.BaseUrl, "lwpwatch_outbox_depth") == 0, TimeSpan.FromSeconds(20), "empty outbox", daemon);

                // Every zone arrived once: the restarted tracker did not re-notify what was already queued.
                var zonesSeen = rx.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("commonLabels").GetProperty("zone").GetString()).ToList();
                Assert.Equal(zones.ZoneIds.Order(StringComparer.Ordinal), zonesSeen.Order(StringComparer.Ordinal));
                Assert.Equal(20, rx.Accepted.Select(r => r.Key).Distinct().Count());

                // And /api/v1/alerts lists them as firing, restored from the saved state.
                using var doc = JsonDocument.Parse(await http.GetStringAsync(daemon.BaseUrl + "/api/v1/alerts"));
                var firing = doc.RootElement.GetProperty("alerts").EnumerateArray().Count(a => a.GetProperty("state").GetString() == "firing");
                Assert.Equal(20, firing);
            }
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    internal static async Task<double?> Gauge(HttpClient http, string baseUrl, string series)
    {
        try
        {
            var text = await http.GetStringAsync(baseUrl + "/metrics");
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith(series + " ", StringComparison.Ordinal))
                {
                    return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
        }

        return null;
    }

    internal static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, DaemonProcess daemon)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline || daemon.HasExited)
            {
                throw new TimeoutException($"waited for {what} (daemon {(daemon.HasExited ? "exited" : "running")}); its output:\n{daemon.Output}");
            }

            await Task.Delay(100);
        }
    }
}
