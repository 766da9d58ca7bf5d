using Xunit;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Alerts;

public sealed class AlertTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);

    private static readonly ReceiverSettings[] Receivers =
    [
        new() { Name = "am", Type = ReceiverSettings.Alertmanager, Url = "http://127.0.0.1:9093" },
        new() { Name = "hook", Type = ReceiverSettings.Webhook, Url = "http://127.0.0.1:1/hook" },
    ];

    private static AlertTracker Tracker(AlertsSettings? s = null, IReadOnlyList<ReceiverSettings>? receivers = null)
    {
        s ??= new AlertsSettings();
        return new AlertTracker(s, new AlertRouter(s, receivers ?? Receivers));
    }

    private static Finding F(string zone = "web", Severity sev = Severity.Warning, DateTimeOffset? since = null, string rule = "near-cap") => new()
    {
        Rule = rule,
        ZoneId = zone,
        Severity = sev,
        Since = since ?? T0,
        Summary = $"{zone} uses 90 of 100 LWPs (90%)",
        Figures = EvidenceMap.Of(("lwps", 90L), ("lwpLimit", 100L)),
        Notes = ["a", "b"],
        Hints = [Hint.WriteFile(rule, zone, HintEffect.Live, ShellWord.CgroupPath("/sys/fs/cgroup/pids/web/pids.max"), ShellWord.Number(200))],
    };

    private static Snapshot Snap(DateTimeOffset at, bool collectorsOk = true) => new()
    {
        TakenAt = at,
        Host = "node1",
        Platform = "linux",
        Zones = [new Zone { Id = "web", Kind = ZoneKind.Cgroup, Name = "web.service", Lwps = 90, LwpLimit = 100 }],
        Collectors = [new CollectorStatus("cgroup-pids", collectorsOk, TimeSpan.Zero, collectorsOk ? null : "boom")],
    };

    [Fact]
    public void New_finding_fires_at_once_without_for_and_notifies_each_receiver_once()
    {
        var t = Tracker();
        var u = t.Update([F()], T0, Snap(T0));
        var a = Assert.Single(u.Alerts);
        Assert.Equal(AlertState.Firing, a.State);
        Assert.Equal(["am", "hook"], u.Notifications.Select(n => n.Receiver).Order(StringComparer.Ordinal));
        Assert.All(u.Notifications, n => Assert.Equal("new", n.Reason));
        Assert.Equal("LwpWatchNearCap", a.Labels["alertname"]);
        Assert.Equal("warning", a.Labels["severity"]);
        Assert.Equal("cgroup", a.Labels["kind"]);
        Assert.Equal("web.service", a.Labels["zone_name"]);
        Assert.Equal("node1", a.Labels["host"]);
        Assert.Contains("lwps: 90", a.Description, StringComparison.Ordinal);
        Assert.Contains("notes: a; b", a.Description, StringComparison.Ordinal);

        // Same finding next poll: deduplicated, nothing new to send.
        var u2 = t.Update([F()], T0.AddSeconds(15), Snap(T0.AddSeconds(15)));
        Assert.Empty(u2.Notifications);
        Assert.Equal(a.IdempotencyKey, Assert.Single(u2.Alerts).IdempotencyKey);
    }

    [Fact]
    public void For_duration_keeps_alert_pending_until_it_has_held()
    {
        var t = Tracker(new AlertsSettings { For = TimeSpan.FromMinutes(1) });
        Assert.Equal(AlertState.Pending, Assert.Single(t.Update([F()], T0).Alerts).State);
        var mid = t.Update([F()], T0.AddSeconds(59));
        Assert.Equal(AlertState.Pending, Assert.Single(mid.Alerts).State);
        Assert.Empty(mid.Notifications);
        var fired = t.Update([F()], T0.AddSeconds(60));
        Assert.Equal(AlertState.Firing, Assert.Single(fired.Alerts).State);
        Assert.Equal(2, fired.Notifications.Length);
        Assert.Equal(T0, fired.Alerts[0].StartsAt);
        Assert.Equal(T0.AddSeconds(60), fired.Alerts[0].FiredAt);
    }

    [Fact]
    public void Pending_alert_that_clears_is_dropped_silently()
    {
        var t = Tracker(new AlertsSettings { For = TimeSpan.FromMinutes(1) });
        t.Update([F()], T0);
        var u = t.Update([], T0.AddSeconds(30));
        Assert.Empty(u.Alerts);
        Assert.Empty(u.Notifications);
    }

    [Fact]
    public void Repeat_interval_is_per_receiver()
    {
        var t = Tracker(new AlertsSettings { RepeatInterval = TimeSpan.FromHours(4) });
        t.Update([F()], T0);
        var at59 = t.Update([F()], T0.AddSeconds(59));
        Assert.Empty(at59.Notifications);

        // alertmanager re-pushes every minute (so it never times the alert out); the webhook waits 4h.
        var at60 = t.Update([F()], T0.AddSeconds(60));
        var n = Assert.Single(at60.Notifications);
        Assert.Equal(("am", "repeat"), (n.Receiver, n.Reason));
        var at4h = t.Update([F()], T0.AddHours(4));
        Assert.Equal(["am", "hook"], at4h.Notifications.Select(x => x.Receiver).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Severity_change_notifies_at_once_with_the_same_idempotency_key()
    {
        var t = Tracker();
        var first = t.Update([F()], T0);
        var u = t.Update([F(sev: Severity.Critical)], T0.AddSeconds(15));
        Assert.Equal(2, u.Notifications.Length);
        Assert.All(u.Notifications, n => Assert.Equal("severity", n.Reason));
        Assert.All(u.Notifications, n => Assert.Equal(Severity.Warning, n.PreviousSeverity));
        Assert.All(u.Notifications, n => Assert.Equal(first.Alerts[0].IdempotencyKey, n.IdempotencyKey));
        Assert.Equal("critical", u.Alerts[0].Labels["severity"]);
    }

    [Fact]
    public void Cleared_finding_resolves_and_tells_every_receiver_that_was_told()
    {
        var t = Tracker();
        t.Update([F()], T0);
        var u = t.Update([], T0.AddMinutes(2), Snap(T0.AddMinutes(2)));
        var a = Assert.Single(u.Alerts);
        Assert.Equal(AlertState.Resolved, a.State);
        Assert.Equal(T0.AddMinutes(2), a.EndsAt);
        Assert.Equal(2, u.Notifications.Length);
        Assert.All(u.Notifications, n => Assert.Equal(AlertNotification.Resolved, n.Status));

        // The webhook is told once; Alertmanager gets the resolve re-pushed every repeat interval (1m) while it is
        // retained, as Prometheus re-sends resolved alerts for 15m: an HA member that missed the first one would
        // otherwise hold the alert as firing and page it again once its peer logged the resolve.
        Assert.Empty(t.Update([], T0.AddMinutes(2.5)).Notifications);
        var again = Assert.Single(t.Update([], T0.AddMinutes(3)).Notifications);
        Assert.Equal(("am", AlertNotification.Resolved, "repeat"), (again.Receiver, again.Status, again.Reason));
        Assert.Equal(a.IdempotencyKey, again.IdempotencyKey);
        Assert.Equal(T0.AddMinutes(2), again.Alert.EndsAt);
        Assert.Empty(t.Update([], T0.AddMinutes(3.5)).Notifications);

        // Then forgotten after the retention: no more pushes.
        var retention = new AlertsSettings().ResolvedRetention;
        Assert.Empty(t.Update([], T0.AddMinutes(2) + retention).Alerts);
        Assert.Empty(t.Update([], T0.AddMinutes(3) + retention).Notifications);
    }

    [Fact]
    public void A_resolve_is_re_pushed_to_alertmanager_only_while_it_is_retained_and_a_new_episode_starts_fresh()
    {
        var s = new AlertsSettings { ResolvedRetention = TimeSpan.FromMinutes(5) };
        var t = Tracker(s);
        t.Update([F()], T0, Snap(T0));
        Assert.Equal(2, t.Update([], T0.AddMinutes(1), Snap(T0.AddMinutes(1))).Notifications.Length);
        var pushes = new List<DateTimeOffset>();
        for (var m = 1.25; m <= 8; m += 0.25)
        {
            foreach (var n in t.Update([], T0.AddMinutes(m)).Notifications)
            {
                Assert.Equal(("am", AlertNotification.Resolved), (n.Receiver, n.Status));
                pushes.Add(T0.AddMinutes(m));
            }
        }

        // Every minute from the resolve at 1m until the alert is dropped at 1m + 5m.
        Assert.Equal([T0.AddMinutes(2), T0.AddMinutes(3), T0.AddMinutes(4), T0.AddMinutes(5)], pushes);

        // The finding is back after its resolve: a new episode, firing to both, no stale resolve pushes in between.
        var t2 = Tracker(s);
        t2.Update([F()], T0, Snap(T0));
        t2.Update([], T0.AddMinutes(1), Snap(T0.AddMinutes(1)));
        var back = t2.Update([F(since: T0.AddMinutes(2))], T0.AddMinutes(2), Snap(T0.AddMinutes(2)));
        Assert.Equal(["am", "hook"], back.Notifications.Select(n => n.Receiver).Order(StringComparer.Ordinal));
        Assert.All(back.Notifications, n => Assert.Equal((AlertNotification.Firing, "new"), (n.Status, n.Reason)));
    }

    [Fact]
    public void Recurrence_after_resolve_is_a_new_episode_with_a_new_key()
    {
        var t = Tracker();
        var k1 = t.Update([F()], T0).Alerts[0].IdempotencyKey;
        t.Update([], T0.AddMinutes(1));
        var u = t.Update([F(since: T0.AddMinutes(2))], T0.AddMinutes(2));
        Assert.NotEqual(k1, u.Alerts[0].IdempotencyKey);
        Assert.All(u.Notifications, n => Assert.Equal("new", n.Reason));
    }

    [Fact]
    public void Failed_collector_holds_alerts_instead_of_resolving_them()
    {
        var t = Tracker();
        t.Update([F()], T0, Snap(T0));
        var held = t.Update([], T0.AddSeconds(15), Snap(T0.AddSeconds(15), collectorsOk: false));
        Assert.Empty(held.Notifications);
        Assert.Equal(AlertState.Firing, held.Alerts[0].State);
        var resolved = t.Update([], T0.AddSeconds(30), Snap(T0.AddSeconds(30)));
        Assert.Equal(AlertState.Resolved, resolved.Alerts[0].State);
    }

    [Fact]
    public void Send_resolved_false_suppresses_the_resolve_for_that_receiver()
    {
        ReceiverSettings[] rs = [Receivers[0], Receivers[1] with { SendResolved = false }];
        var t = Tracker(receivers: rs);
        t.Update([F()], T0);
        var u = t.Update([], T0.AddMinutes(1));
        Assert.Equal("am", Assert.Single(u.Notifications).Receiver);
    }

    [Fact]
    public void State_survives_export_and_import_through_json()
    {
        var t = Tracker();
        t.Update([F(), F(zone: "db", sev: Severity.Critical)], T0, Snap(T0));
        var opts = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };
        var json = JsonSerializer.Serialize(t.Export(), opts);
        var restored = Tracker();
        restored.Import(JsonSerializer.Deserialize<AlertTrackerState>(json, opts)!);
        Assert.Equal(t.Alerts.Select(a => a.IdempotencyKey), restored.Alerts.Select(a => a.IdempotencyKey));

        // After a restart nobody is re-paged for alerts already notified, and clears still resolve.
        Assert.Empty(restored.Update([F(), F(zone: "db", sev: Severity.Critical)], T0.AddSeconds(15), Snap(T0.AddSeconds(15))).Notifications);
        var u = restored.Update([F()], T0.AddSeconds(30), Snap(T0.AddSeconds(30)));
        Assert.Equal(2, u.Notifications.Count(n => n.Status == AlertNotification.Resolved && n.Alert.ZoneId == "db"));
    }

    [Fact]
    public void Import_rejects_an_unknown_version()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Tracker().Import(new AlertTrackerState { Version = 99 }));
        Assert.Contains("version 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_alerts_bounds_tracking_and_counts_the_rest()
    {
        var t = Tracker(new AlertsSettings { MaxAlerts = 2 });
        var u = t.Update([F("a"), F("b"), F("c")], T0);
        Assert.Equal(2, u.Alerts.Length);
        Assert.Equal(1, t.Untracked);
    }

    [Fact]
    public void Duplicate_findings_in_one_poll_make_one_alert()
    {
        var u = Tracker().Update([F(), F()], T0);
        Assert.Single(u.Alerts);
        Assert.Equal(2, u.Notifications.Length);
    }

    [Fact]
    public void Runbook_and_extra_labels_are_applied()
    {
        var s = new AlertsSettings
        {
            RunbookUrl = "https://runbooks.example/lwpwatch#{rule}",
            ExtraLabels = new Dictionary<string, string> { ["dc"] = "eu1" },
        };
        var a = Tracker(s).Update([F()], T0).Alerts[0];
        Assert.Equal("https://runbooks.example/lwpwatch#near-cap", a.RunbookUrl);
        Assert.Equal("eu1", a.Labels["dc"]);
    }

    [Fact]
    public void Future_since_is_clamped_to_now()
    {
        var a = Tracker().Update([F(since: T0.AddHours(1))], T0).Alerts[0];
        Assert.Equal(T0, a.StartsAt);
    }
}
