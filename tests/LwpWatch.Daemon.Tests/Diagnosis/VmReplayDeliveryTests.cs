using System.Text.Json;
using LwpWatch.Daemon.Tests.Delivery;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Diagnosis;

/// <summary>
/// Issue 17 on the real cgroup v2 + systemd 252 recordings: `lwpwatch run --replay` of a VM bundle through the real
/// delivery stack pages a real webhook once per zone. A stuck unit's zone is one cap-starvation page; a scope, a
/// container or a capped slice at its cap with nothing stuck is one fork-denied page with near-cap folded into it
/// (before fork-denied was a root cause, near-cap and fork-denied each paged: bench/pages, 1.46 pages per incident on
/// linux-6.12). The same alerts pushed to a real Alertmanager running the shipped packaging/alertmanager config are
/// folded the same way by its inhibit_rules.
/// </summary>
public sealed partial class VmReplayTests
{
    [Theory]
    [MemberData(nameof(Bundles))]
    public async Task Run_replay_pages_a_real_webhook_once_per_zone_and_alertmanager_folds_the_same(string name)
    {
        var b = new Recorded(name);
        // Ground truth from the recording, not from LwpWatch: which zones the scenarios starved, and how.
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in b.Copies())
        {
            var k = b.Kernel(c.Raw);
            Assert.True(k.Events > 0, $"{c.Name}: the kernel recorded no refusal");
            expected[c.Id] = c.Group is "notify" or "early" or "watched" ? "LwpWatchCapStarvation" : "LwpWatchForkDenied";
        }

        foreach (var s in b.Source.GetProperty("slices").EnumerateObject())
        {
            expected[s.Value.GetProperty("zone").GetString()!] = "LwpWatchForkDenied";
        }

        await using var hook = new TestReceiver();
        await hook.StartAsync();
        await using var amHook = new TestReceiver();
        await amHook.StartAsync();
        var amConfig = AlertmanagerProcess.ShippedConfig(amHook.Url, "2s");
        using var am = new AlertmanagerProcess(amConfig, ["--cluster.listen-address="], TestReceiver.FreePort());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await am.WaitReadyAsync(http);

        var state = TestTools.NewTempDir();
        var yaml = $"state:\n  dir: {state}\nreceivers:\n  - name: hook\n    type: webhook\n    url: {hook.Url.AbsoluteUri}\n"
            + $"  - name: am\n    type: alertmanager\n    url: {am.BaseUrl.AbsoluteUri}\ndelivery:\n  tick: 50ms\n";
        using var d = new DaemonProcess(["--replay", b.Dir, "--interval", "200ms"], yaml);

        await hook.WaitForAsync(r => Firing(r).Count >= expected.Count, TimeSpan.FromSeconds(90), $"{expected.Count} pages");
        // Many more polls of the last recording (the daemon repeats it every 200 ms) and an empty outbox: nothing else
        // may have been sent.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await d.WaitForAsync("/metrics", TimeSpan.FromSeconds(30), m => m.Contains("\nlwpwatch_outbox_depth 0\n", StringComparison.Ordinal));

        var pages = Firing(hook).Select(p => Assert.Single(p.GetProperty("alerts").EnumerateArray())).ToList();
        Assert.Equal(expected.Count, pages.Count);
        foreach (var (zone, head) in expected)
        {
            var page = Assert.Single(pages, a => Label(a, "zone") == zone);
            Assert.Equal((head, "critical"), (Label(page, "alertname"), Label(page, "severity")));
            var symptoms = page.GetProperty("annotations").TryGetProperty("symptoms", out var sy) ? sy.GetString()!.Split('\n') : [];
            Assert.Contains(symptoms, s => s.StartsWith("CRITICAL LwpWatchNearCap: ", StringComparison.Ordinal));
            if (head == "LwpWatchCapStarvation")
            {
                Assert.Contains(symptoms, s => s.StartsWith("CRITICAL LwpWatchForkDenied: ", StringComparison.Ordinal));
            }
        }

        // Alertmanager was pushed every alert, near-cap included; its inhibit_rules mute the same ones, so each zone's
        // notification from it carries only the head.
        await amHook.WaitForAsync(
            r => expected.Keys.All(z => r.Accepted.Any(x => AmAlerts(x).Any(a => Label(a, "zone") == z))),
            TimeSpan.FromSeconds(60),
            "Alertmanager's notification of every zone");
        var amAlerts = amHook.Accepted.SelectMany(AmAlerts).ToList();
        foreach (var (zone, head) in expected)
        {
            var sent = amAlerts.Where(a => Label(a, "zone") == zone).Select(a => Label(a, "alertname")).Distinct().ToList();
            Assert.True(sent.SequenceEqual([head]), $"{zone}: Alertmanager notified {string.Join(", ", sent)}, expected only {head}");
        }

        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(am.BaseUrl, "/api/v2/alerts")));
        foreach (var zone in expected.Keys)
        {
            var near = Assert.Single(doc.RootElement.EnumerateArray(), a => Label(a, "zone") == zone && Label(a, "alertname") == "LwpWatchNearCap");
            Assert.Equal("suppressed", near.GetProperty("status").GetProperty("state").GetString());
        }
    }

    private static List<JsonElement> Firing(TestReceiver rx) =>
        [.. rx.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement.Clone()).Where(p => p.GetProperty("status").GetString() == "firing")];

    private static IEnumerable<JsonElement> AmAlerts(TestReceiver.Received r) =>
        JsonDocument.Parse(r.Body).RootElement.Clone().GetProperty("alerts").EnumerateArray().Where(a => a.GetProperty("status").GetString() == "firing");

    private static string? Label(JsonElement alert, string name) =>
        alert.GetProperty("labels").TryGetProperty(name, out var v) ? v.GetString() : null;
}
