using System.Text.Json;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Pipeline;
using LwpWatch.Daemon.Tests.Delivery;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Diagnosis;

/// <summary>
/// Issue 17 acceptance on examples/triton-fs-local-stuck: one problem (a zone out of threads, its provision and
/// filesystem/local stuck behind it) is one incident, one page on a real webhook receiver, one resolve when it
/// clears, and `check` shows the fix once. Before incidents, `run --replay` of this bundle sent 5 firing webhook
/// notifications for this one zone (issue 17).
/// </summary>
public sealed class TritonIncidentDeliveryTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";

    private static string Example
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LwpWatch.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir!.FullName, "examples", "triton-fs-local-stuck");
        }
    }

    private static List<JsonElement> Firing(TestReceiver rx) =>
        [.. rx.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement.Clone()).Where(b => b.GetProperty("status").GetString() == "firing")];

    [Fact]
    public async Task Run_replay_pages_a_real_webhook_once_for_the_incident_with_its_symptoms_listed()
    {
        await using var rx = new TestReceiver();
        await rx.StartAsync();
        var state = TestTools.NewTempDir();
        var yaml = $"state:\n  dir: {state}\nreceivers:\n  - name: hook\n    type: webhook\n    url: {rx.Url.AbsoluteUri}\ndelivery:\n  tick: 50ms\n";
        using var d = new DaemonProcess(["--replay", Example, "--interval", "200ms"], yaml);

        await rx.WaitForAsync(r => r.Accepted.Count >= 1, TimeSpan.FromSeconds(60), "the incident's page");

        // The daemon keeps re-polling the last recorded poll every 200 ms (a symptom, exhaustion-forecast, even joins
        // later): give it many more polls and an empty outbox, then nothing else may have been sent.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await d.WaitForAsync("/metrics", TimeSpan.FromSeconds(30), m => m.Contains("\nlwpwatch_outbox_depth 0\n", StringComparison.Ordinal));

        var firing = Firing(rx);
        var page = Assert.Single(firing);
        var alert = Assert.Single(page.GetProperty("alerts").EnumerateArray());
        Assert.Equal("LwpWatchCapStarvation", alert.GetProperty("labels").GetProperty("alertname").GetString());
        Assert.Equal(Sick, alert.GetProperty("labels").GetProperty("zone").GetString());
        Assert.Equal("critical", alert.GetProperty("labels").GetProperty("severity").GetString());

        // The symptoms are in the page, not pages of their own; the fix is the root cause's, once.
        var symptoms = alert.GetProperty("annotations").GetProperty("symptoms").GetString()!.Split('\n');
        Assert.Equal(4, symptoms.Length);
        Assert.Contains(symptoms, s => s.StartsWith("CRITICAL LwpWatchForkDenied: ", StringComparison.Ordinal));
        Assert.Contains(symptoms, s => s.StartsWith("CRITICAL LwpWatchNearCap: ", StringComparison.Ordinal));
        Assert.Contains(symptoms, s => s.Contains("LwpWatchProvisionStuck: ", StringComparison.Ordinal));
        Assert.Contains(symptoms, s => s.Contains("LwpWatchServiceStuck: ", StringComparison.Ordinal));
        var hints = alert.GetProperty("annotations").GetProperty("hints").GetString()!.Split('\n');
        Assert.Equal(hints.Length, hints.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(hints, h => h.StartsWith("vmadm update " + Sick + " max_lwps=", StringComparison.Ordinal));

        // /api/v1/alerts still has every alert, the symptoms marked as inhibited by the head.
        var alerts = JsonDocument.Parse(await d.WaitForAsync("/api/v1/alerts", TimeSpan.FromSeconds(10))).RootElement.GetProperty("alerts").EnumerateArray().ToList();
        var headFp = RuleIds.CapStarvation + "|" + Sick;
        var folded = alerts.Where(a => a.TryGetProperty("inhibitedBy", out var by) && by.GetString() == headFp).Select(a => a.GetProperty("rule").GetString()).ToList();
        Assert.Contains(RuleIds.ForkDenied, folded);
        Assert.Contains(RuleIds.NearCap, folded);
        Assert.Contains(RuleIds.ProvisionStuck, folded);
        Assert.Contains(RuleIds.ServiceStuck, folded);
        var headAlert = Assert.Single(alerts, a => a.GetProperty("fingerprint").GetString() == headFp);
        Assert.Equal(folded.Count, headAlert.GetProperty("symptoms").GetArrayLength());
        Assert.All(alerts.Where(a => a.GetProperty("fingerprint").GetString() != headFp), a => Assert.Empty(a.GetProperty("notified").EnumerateArray()));
        Assert.Single(rx.Accepted);
    }

    [Fact]
    public async Task Every_replayed_poll_through_the_real_delivery_stack_is_one_firing_then_one_resolve()
    {
        await using var rx = new TestReceiver();
        await rx.StartAsync();
        var hook = new ReceiverSettings { Name = "hook", Type = ReceiverSettings.Webhook, Url = rx.Url.AbsoluteUri };
        await using var h = new DeliveryHarness([hook]);
        await h.StartAsync();

        var replay = ReplayCli.Prepare(Example, null, new LwpWatchOptions());
        Assert.Null(replay.Error);
        PollResult? last = null;
        var incidents = new List<int>();
        for (var i = 1; i <= replay.Until; i++)
        {
            replay.Bundle!.MoveTo(i);
            last = await replay.Pipeline!.RunOnceAsync(CancellationToken.None);
            h.Pipeline.Process(last.Outcome);
            h.Pipeline.PersistPending();
            incidents.Add(last.Outcome.Incidents.Count(x => x.Head.ZoneId == Sick && x.Head.Severity == Core.Model.Severity.Critical));
        }

        Assert.NotNull(last);
        var head = Assert.Single(last.Outcome.Incidents, x => x.Head.ZoneId == Sick);
        Assert.Equal(RuleIds.CapStarvation, head.Head.Rule);
        Assert.Equal(4, head.Symptoms.Length);
        Assert.All(incidents, n => Assert.InRange(n, 0, 1));

        // 60 s condition waits: each send fsyncs the SQLite outbox (synchronous=FULL) on the root disk, which a loaded
        // 2-core CI box with a VM image build beside it stalls for seconds; each wait returns once its condition holds.
        await rx.WaitForAsync(r => r.Accepted.Count >= 1, TimeSpan.FromSeconds(60), "the incident's page");
        await h.WaitAsync(() => h.Metrics.Depth == 0, TimeSpan.FromSeconds(60), "the outbox to drain");
        Assert.Single(Firing(rx));

        // The cap is raised: the next poll sees the zone healthy, no finding left. One resolve, for the page sent.
        var cleared = last.Outcome.Snapshot with { TakenAt = last.Outcome.Snapshot.TakenAt.AddSeconds(30) };
        h.Pipeline.Process(new RuleOutcome(cleared, [], []));
        h.Pipeline.PersistPending();
        await rx.WaitForAsync(r => r.Accepted.Count >= 2, TimeSpan.FromSeconds(60), "the resolve");
        await h.WaitAsync(() => h.Metrics.Depth == 0, TimeSpan.FromSeconds(60), "the outbox to drain");
        var bodies = rx.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(["firing", "resolved"], bodies.Select(b => b.GetProperty("status").GetString()!).ToArray());
        Assert.All(bodies, b => Assert.Equal(RuleIds.CapStarvation + "|" + Sick, Assert.Single(b.GetProperty("alerts").EnumerateArray()).GetProperty("fingerprint").GetString()));
    }

    [Fact]
    public void Check_exits_2_and_prints_the_fix_once_with_the_symptoms_folded_under_it()
    {
        var r = TestTools.Run(TestTools.Lwpwatch, ["check", "--replay", Example], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        var text = r.Stdout;
        var vmadm = $"fix: vmadm update {Sick} max_lwps=";
        Assert.Equal(1, Count(text, vmadm));
        Assert.Equal(1, Count(text, "fix: prctl -n zone.max-lwps -v "));
        Assert.Contains("symptoms (4, explained by this cap-starvation):", text, StringComparison.Ordinal);
        Assert.Equal(1, Count(text, "CRITICAL cap-starvation"));
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
