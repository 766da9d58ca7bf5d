using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Alerts;

/// <summary>
/// Issue 17: a root cause carries the symptoms of its zone; while it fires they are not separate pages for the
/// native receivers (as Alertmanager's inhibit_rules would mute them), and every transition (root clears, symptoms
/// outlive it, symptoms that paged before the root, restarts) resolves or refires exactly once.
/// </summary>
public sealed class IncidentFoldingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);

    private static readonly ReceiverSettings[] Receivers =
    [
        new() { Name = "am", Type = ReceiverSettings.Alertmanager, Url = "http://127.0.0.1:9093" },
        new() { Name = "hook", Type = ReceiverSettings.Webhook, Url = "http://127.0.0.1:1/hook" },
        new() { Name = "pd", Type = ReceiverSettings.PagerDuty, SecretEnv = "PD_KEY" },
    ];

    private static AlertTracker Tracker(AlertsSettings? s = null)
    {
        s ??= new AlertsSettings();
        return new AlertTracker(s, new AlertRouter(s, Receivers));
    }

    private static Finding F(string rule, Severity sev = Severity.Critical, string zone = "z1", string? service = null) => new()
    {
        Rule = rule,
        ZoneId = zone,
        Service = service,
        Severity = sev,
        Since = T0,
        Summary = $"{rule} in {zone}",
        Hints = [Hint.Command(rule, zone, HintEffect.ReadOnly, ShellWord.Literal("true"))],
    };

    private static readonly Finding Cap = F(RuleIds.CapStarvation);
    private static readonly Finding Denied = F(RuleIds.ForkDenied);
    private static readonly Finding Near = F(RuleIds.NearCap);
    private static readonly Finding Stuck = F(RuleIds.ServiceStuck, Severity.Warning, service: "svc:/system/filesystem/local:default");
    private static readonly Finding Provision = F(RuleIds.ProvisionStuck, Severity.Warning);

    private static Snapshot Snap(double t) => new()
    {
        TakenAt = T0.AddSeconds(t),
        Host = "cn1",
        Platform = "illumos",
        Zones = [new Zone { Id = "z1", Kind = ZoneKind.IllumosZone, Name = "db", Lwps = 398, LwpLimit = 400 }, new Zone { Id = "z2", Kind = ZoneKind.IllumosZone, Name = "web", Lwps = 10, LwpLimit = 400 }],
    };

    private static AlertUpdate Poll(AlertTracker t, double at, params Finding[] findings) => t.Update(findings, T0.AddSeconds(at), Snap(at));

    private static List<AlertNotification> To(AlertUpdate u, string receiver) => [.. u.Notifications.Where(n => n.Receiver == receiver)];

    [Fact]
    public void Root_cause_and_its_symptoms_together_are_one_page_listing_them()
    {
        var t = Tracker();
        var u = Poll(t, 0, Cap, Denied, Near, Stuck, Provision);

        foreach (var native in new[] { "hook", "pd" })
        {
            var n = Assert.Single(To(u, native));
            Assert.Equal((AlertNotification.Firing, RuleIds.CapStarvation), (n.Status, n.Alert.Rule));
            Assert.Equal(
                new[] { Denied, Near, Provision, Stuck }.Select(f => f.Fingerprint).Order(StringComparer.Ordinal),
                n.Alert.Symptoms.Select(s => s.Fingerprint).Order(StringComparer.Ordinal));
            Assert.Contains("CRITICAL LwpWatchForkDenied: fork-denied in z1", n.Alert.Symptoms.Select(s => s.Line));
        }

        // Alertmanager gets every alert: its own inhibit_rules (packaging/alertmanager) fold them there.
        Assert.Equal(5, To(u, "am").Count);
        var alerts = u.Alerts.ToDictionary(a => a.Fingerprint);
        Assert.Null(alerts[Cap.Fingerprint].InhibitedBy);
        Assert.All(new[] { Denied, Near, Stuck, Provision }, f => Assert.Equal(Cap.Fingerprint, alerts[f.Fingerprint].InhibitedBy));
        Assert.All(u.Alerts, a => Assert.Equal(AlertState.Firing, a.State));
    }

    [Fact]
    public void A_symptom_that_joins_a_firing_incident_pages_nobody_and_never_repeats()
    {
        var t = Tracker(new AlertsSettings { RepeatInterval = TimeSpan.FromMinutes(10) });
        Poll(t, 0, Cap, Provision);
        var joined = Poll(t, 15, Cap, Provision, Denied with { Severity = Severity.Warning });
        Assert.Empty(To(joined, "hook"));
        Assert.Single(To(joined, "am"));
        var escalated = Poll(t, 30, Cap, Provision with { Severity = Severity.Critical }, Denied);
        Assert.Empty(To(escalated, "hook")); // a symptom's escalation is no page either: the incident already is one

        // The repeat is the incident's: the root cause again, with its symptoms as they are now.
        var repeat = Assert.Single(To(Poll(t, 600, Cap, Provision, Denied), "hook"));
        Assert.Equal(("repeat", RuleIds.CapStarvation), (repeat.Reason, repeat.Alert.Rule));
        Assert.Equal(2, repeat.Alert.Symptoms.Length);
    }

    [Fact]
    public void Root_cause_clearing_with_its_symptoms_is_one_resolve()
    {
        var t = Tracker();
        Poll(t, 0, Cap, Denied, Near);
        var u = Poll(t, 15);
        var n = Assert.Single(To(u, "hook"));
        Assert.Equal((AlertNotification.Resolved, Cap.Fingerprint), (n.Status, n.Alert.Fingerprint));
        Assert.Equal(2, n.Alert.Symptoms.Length); // what the incident was, in its resolve
        Assert.Equal(3, To(u, "am").Count);
        Assert.Empty(Poll(t, 30).Notifications);
    }

    [Fact]
    public void A_symptom_that_outlives_its_root_cause_refires_once_on_its_own()
    {
        var t = Tracker();
        Poll(t, 0, Cap, Denied, Near);
        var u = Poll(t, 15, Near);
        var hook = To(u, "hook");
        Assert.Equal(2, hook.Count);
        Assert.Contains(hook, n => n.Status == AlertNotification.Resolved && n.Alert.Fingerprint == Cap.Fingerprint);
        var refired = Assert.Single(hook, n => n.Status == AlertNotification.Firing);
        Assert.Equal((Near.Fingerprint, "new"), (refired.Alert.Fingerprint, refired.Reason));
        Assert.Equal(T0, refired.Alert.StartsAt); // the same episode, since it began
        Assert.Null(refired.Alert.InhibitedBy);

        Assert.Empty(To(Poll(t, 30, Near), "hook"));
        var over = Assert.Single(To(Poll(t, 45), "hook"));
        Assert.Equal((AlertNotification.Resolved, Near.Fingerprint), (over.Status, over.Alert.Fingerprint));
    }

    [Fact]
    public void A_symptom_paged_before_its_root_cause_fired_is_folded_then_resolved_once()
    {
        var t = Tracker(new AlertsSettings { RepeatInterval = TimeSpan.FromMinutes(1) });
        var first = Assert.Single(To(Poll(t, 0, Near), "hook"));
        Assert.Equal(Near.Fingerprint, first.Alert.Fingerprint);

        var root = Assert.Single(To(Poll(t, 15, Near, Cap), "hook"));
        Assert.Equal(Cap.Fingerprint, root.Alert.Fingerprint);
        Assert.Equal(Near.Fingerprint, Assert.Single(root.Alert.Symptoms).Fingerprint);
        // Folded: no repeat of its own while the incident fires (only the root cause's repeat).
        Assert.All(To(Poll(t, 90, Near, Cap), "hook"), n => Assert.Equal(Cap.Fingerprint, n.Alert.Fingerprint));

        // It was told firing, so it is told resolved: no page is left open at the receiver.
        var gone = Assert.Single(To(Poll(t, 105, Cap), "hook"));
        Assert.Equal((AlertNotification.Resolved, Near.Fingerprint), (gone.Status, gone.Alert.Fingerprint));
    }

    [Fact]
    public void A_zone_at_its_cap_refusing_forks_without_a_stuck_service_is_one_page_headed_by_fork_denied()
    {
        // bench/pages' "Linux at-cap": before fork-denied was a root cause, near-cap and fork-denied each paged.
        var t = Tracker();
        var forecast = F(RuleIds.ExhaustionForecast, Severity.Warning);
        var u = Poll(t, 0, Near, Denied, forecast);
        foreach (var native in new[] { "hook", "pd" })
        {
            var n = Assert.Single(To(u, native));
            Assert.Equal((AlertNotification.Firing, Denied.Fingerprint), (n.Status, n.Alert.Fingerprint));
            Assert.Equal(new[] { Near.Fingerprint, forecast.Fingerprint }.Order(StringComparer.Ordinal), n.Alert.Symptoms.Select(s => s.Fingerprint).Order(StringComparer.Ordinal));
        }

        Assert.Equal(3, To(u, "am").Count);
        Assert.Equal(Denied.Fingerprint, u.Alerts.Single(a => a.Fingerprint == Near.Fingerprint).InhibitedBy);
        Assert.Empty(To(Poll(t, 15, Near, Denied, forecast), "hook"));

        // The refusals stop (fork-denied's window passes) while the zone stays at its cap: one resolve, and near-cap,
        // still true, stands on its own.
        var after = To(Poll(t, 30, Near, forecast), "hook");
        Assert.Single(after, n => n.Status == AlertNotification.Resolved && n.Alert.Fingerprint == Denied.Fingerprint);
        Assert.Equal(
            new[] { Near.Fingerprint, forecast.Fingerprint }.Order(StringComparer.Ordinal),
            after.Where(n => n.Status == AlertNotification.Firing).Select(n => n.Alert.Fingerprint).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_warning_fork_denied_never_hides_a_critical_near_cap()
    {
        var t = Tracker();
        var hook = To(Poll(t, 0, Near, Denied with { Severity = Severity.Warning }), "hook");
        Assert.Equal(2, hook.Count);
        Assert.All(hook, n => Assert.Empty(n.Alert.Symptoms));
    }

    [Fact]
    public void A_warning_root_cause_never_hides_a_critical_symptom()
    {
        var t = Tracker();
        var u = Poll(t, 0, Provision, Stuck, Near);
        var hook = To(u, "hook");
        Assert.Equal([Near.Fingerprint, Provision.Fingerprint], hook.Select(n => n.Alert.Fingerprint).Order(StringComparer.Ordinal));
        Assert.Equal(Stuck.Fingerprint, Assert.Single(hook, n => n.Alert.Fingerprint == Provision.Fingerprint).Alert.Symptoms.Single().Fingerprint);
    }

    [Fact]
    public void Only_the_same_zone_and_host_fold()
    {
        var t = Tracker();
        var other = F(RuleIds.NearCap, zone: "z2");
        var hook = To(Poll(t, 0, Cap, other), "hook");
        Assert.Equal(2, hook.Count);
        Assert.Empty(Assert.Single(hook, n => n.Alert.Fingerprint == Cap.Fingerprint).Alert.Symptoms);
    }

    [Fact]
    public void A_pending_root_cause_silences_nothing()
    {
        // Only what fires inhibits (Prometheus sends Alertmanager firing alerts only): a root cause still inside
        // alerts.for must not hold back a symptom that has held longer.
        var t = Tracker(new AlertsSettings { For = TimeSpan.FromSeconds(60) });
        Poll(t, 0, Near);
        Assert.Single(To(Poll(t, 60, Near, Cap with { Since = T0.AddSeconds(30) }), "hook"), n => n.Alert.Fingerprint == Near.Fingerprint);
        var root = Assert.Single(To(Poll(t, 90, Near, Cap with { Since = T0.AddSeconds(30) }), "hook"));
        Assert.Equal(Cap.Fingerprint, root.Alert.Fingerprint);
    }

    [Fact]
    public void The_most_fundamental_root_cause_heads_the_incident()
    {
        // provision-stuck is a root cause of its own (a stuck provision explains its stuck services), but a starving
        // zone explains the provision: cap-starvation heads and the provision is one of its symptoms.
        var t = Tracker();
        var hook = Assert.Single(To(Poll(t, 0, Provision with { Severity = Severity.Critical }, Stuck, Cap), "hook"));
        Assert.Equal(Cap.Fingerprint, hook.Alert.Fingerprint);
        Assert.Equal(2, hook.Alert.Symptoms.Length);
    }

    [Fact]
    public void A_restart_mid_incident_neither_repages_nor_forgets_the_folding()
    {
        var t = Tracker();
        Poll(t, 0, Cap, Denied, Near);
        var json = JsonSerializer.Serialize(t.Export(), Options);

        var restarted = Tracker();
        restarted.Import(JsonSerializer.Deserialize<AlertTrackerState>(json, Options)!);
        Assert.Empty(To(Poll(restarted, 15, Cap, Denied, Near), "hook"));
        var u = Poll(restarted, 30, Near);
        Assert.Equal(2, To(u, "hook").Count); // the root's resolve, near-cap refiring on its own
        Assert.Single(To(u, "hook"), n => n.Status == AlertNotification.Resolved && n.Alert.Fingerprint == Cap.Fingerprint);
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };
}
