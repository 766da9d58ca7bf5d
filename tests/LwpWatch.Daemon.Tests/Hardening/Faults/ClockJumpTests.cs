using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Pipeline;
using Xunit;

namespace LwpWatch.Daemon.Tests.Hardening.Faults;

/// <summary>
/// The wall clock jumps back an hour (NTP step, VM resume) and later forward two hours while zones stay near
/// their caps: the rules and the alert tracker must neither throw, nor re-fire, nor resolve, nor lose alerts.
/// </summary>
[Trait("Category", "Hardening")]
public sealed class ClockJumpTests
{
    [Fact]
    public async Task Clock_jumping_back_and_forward_neither_duplicates_nor_resolves_nor_loses_alerts()
    {
        using var tree = new SyntheticCgroupTree(zones: 3, limit: 100);
        tree.Set(0, 97); // critical
        tree.Set(1, 90); // warning
        tree.Set(2, 10); // fine
        var t0 = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
        var clock = new SettableClock(t0);
        var options = new LwpWatchOptions
        {
            Poll = new PollSettings { Platform = "linux" },
            Linux = new LinuxSettings { CgroupRoot = tree.Root, Systemd = new SystemdSettings { Enabled = "false" } },
            Receivers = [new ReceiverSettings { Name = "hook", Type = ReceiverSettings.Webhook, Url = "http://127.0.0.1:9/hook" }],
        };
        var pipeline = new PollPipeline(options, new LiveHostSource(new CommandRunner()), clock, "linux", "clock-test");
        var tracker = new AlertTracker(options.Alerts, new AlertRouter(options.Alerts, options.Receivers));

        var first = await Poll(pipeline, tracker, clock, 4);
        Assert.Equal(2, first.Count(n => n.Status == AlertNotification.Firing));
        var keys = tracker.Alerts.Where(a => a.State == AlertState.Firing).Select(a => a.IdempotencyKey).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, keys.Count);

        clock.Now -= TimeSpan.FromHours(1);
        var back = await Poll(pipeline, tracker, clock, 6);
        clock.Now += TimeSpan.FromHours(2);
        var forward = await Poll(pipeline, tracker, clock, 6);

        Assert.True(back.Count == 0, "after the jump back: " + Describe(back));
        Assert.True(forward.Count == 0, "after the jump forward: " + Describe(forward));
        Assert.Equal(keys, tracker.Alerts.Where(a => a.State == AlertState.Firing).Select(a => a.IdempotencyKey).Order(StringComparer.Ordinal).ToList());
        var last = await pipeline.RunOnceAsync(CancellationToken.None);
        Assert.Equal(CheckStatus.Critical, last.Outcome.Status);
        Assert.Empty(last.Outcome.RuleErrors);
    }

    /// <summary>
    /// The rules that remember times (fork-denied's last rise, service-stuck's and cap-starvation's first sight of
    /// a transition, provision-stuck's first sight of a marker) across the same jumps: what fires keeps firing, with
    /// no resolve and no re-fire, and nothing that had stopped is kept alive by a time now in the future.
    /// </summary>
    [Fact]
    public void Every_stateful_rule_keeps_its_findings_across_clock_jumps()
    {
        var options = new LwpWatchOptions { Receivers = [new ReceiverSettings { Name = "hook", Type = ReceiverSettings.Webhook, Url = "http://127.0.0.1:9/hook" }] };
        var engine = new RuleEngine(RuleFactory.Create(options.Rules), options.Poll.History);
        var tracker = new AlertTracker(options.Alerts, new AlertRouter(options.Alerts, options.Receivers));
        var now = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
        var denials = 0L;
        Snapshot Poll()
        {
            denials += 3; // still refusing every poll
            return new Snapshot
            {
                TakenAt = now,
                Host = "n1",
                Platform = "linux",
                Zones =
                [
                    Cgroup("/system.slice/deny.service", 20, 20, denials),
                    Cgroup("/system.slice/slow.service", 5, 100, 0),
                ],
                Services = [new ServiceState { ZoneId = "/system.slice/slow.service", Name = "slow.service", State = "activating", NextState = "start", InTransition = true }],
                Provisions = [new Provision { ZoneId = "6e8f3c2a-0000-4000-8000-000000000001", VmState = "provisioning", MarkerPresent = true }],
            };
        }

        HashSet<string> Firing(RuleOutcome o) => [.. o.Findings.Select(f => $"{f.Rule} {f.ZoneId} {f.Severity}")];
        List<AlertNotification> Step(int polls, List<HashSet<string>> seen)
        {
            var ns = new List<AlertNotification>();
            for (var i = 0; i < polls; i++)
            {
                var o = engine.Evaluate(Poll());
                Assert.Empty(o.RuleErrors);
                seen.Add(Firing(o));
                ns.AddRange(tracker.Update(o.Findings, now, o.Snapshot).Notifications);
                now += TimeSpan.FromSeconds(15);
            }

            return ns;
        }

        var before = new List<HashSet<string>>();
        Step(28, before); // 7 minutes: service-stuck (5 m) and provision-stuck are past their thresholds
        var expected = before[^1];
        Assert.Contains("fork-denied /system.slice/deny.service Critical", expected);
        Assert.Contains("service-stuck /system.slice/slow.service Warning", expected);
        Assert.Contains("provision-stuck 6e8f3c2a-0000-4000-8000-000000000001 Warning", expected);

        now -= TimeSpan.FromHours(1);
        var back = new List<HashSet<string>>();
        var backNotes = Step(8, back);
        now += TimeSpan.FromHours(2);
        var forward = new List<HashSet<string>>();
        var forwardNotes = Step(8, forward);

        foreach (var (set, i) in back.Concat(forward).Select((s, i) => (s, i)))
        {
            Assert.True(set.SetEquals(expected), $"poll {i} after the jumps: [{string.Join(", ", set)}] vs [{string.Join(", ", expected)}]");
        }

        Assert.True(backNotes.Count == 0, "after the jump back: " + Describe(backNotes));
        Assert.True(forwardNotes.Count == 0, "after the jump forward: " + Describe(forwardNotes));

        // Refusals stop after a jump back: fork-denied must not be held open by a last rise now in the future.
        var stopped = denials;
        now -= TimeSpan.FromHours(1);
        var last = new List<HashSet<string>>();
        for (var i = 0; i < 30; i++)
        {
            denials = stopped - 3; // Poll() adds 3 back: the counter stays put
            var o = engine.Evaluate(Poll());
            last.Add(Firing(o));
            now += TimeSpan.FromSeconds(15);
        }

        Assert.DoesNotContain("fork-denied /system.slice/deny.service Critical", last[^1]);
    }

    /// <summary>
    /// Window rules across a step back of 6 minutes (shorter than the 7.5 minutes near-cap has held, longer than its
    /// 2-minute for): a rising zone's exhaustion forecast and a near-cap with a for-duration keep firing, with the same first-seen times (the history moves with the step instead of
    /// starting again, which resolved the forecast until it had its samples back).
    /// </summary>
    [Fact]
    public void Forecast_and_near_cap_with_a_for_duration_carry_on_across_a_step_back()
    {
        var rules = new RulesSettings { NearCap = new NearCapSettings { For = TimeSpan.FromMinutes(2) } };
        var engine = new RuleEngine(RuleFactory.Create(rules), TimeSpan.FromMinutes(30));
        var now = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
        var lwps = 260L;
        RuleOutcome Poll()
        {
            lwps += 2; // 8 threads a minute towards a cap of 400, staying under near-cap's 85 % in the test
            var o = engine.Evaluate(new Snapshot
            {
                TakenAt = now,
                Host = "n1",
                Platform = "linux",
                Zones = [Cgroup("/system.slice/grow.service", lwps, 400, 0), Cgroup("/system.slice/full.service", 96, 100, 0)],
            });
            Assert.Empty(o.RuleErrors);
            now += TimeSpan.FromSeconds(15);
            return o;
        }

        for (var i = 0; i < 30; i++)
        {
            Poll();
        }

        var before = Poll().Findings.ToDictionary(f => $"{f.Rule} {f.ZoneId} {f.Severity}", f => f.Since);
        Assert.Contains("exhaustion-forecast /system.slice/grow.service Warning", before.Keys);
        Assert.Contains("near-cap /system.slice/full.service Critical", before.Keys);

        now -= TimeSpan.FromMinutes(6);
        for (var i = 0; i < 6; i++)
        {
            var after = Poll().Findings.ToDictionary(f => $"{f.Rule} {f.ZoneId} {f.Severity}", f => f.Since);
            Assert.True(after.Keys.ToHashSet().SetEquals(before.Keys), $"poll {i} after the step: [{string.Join(", ", after.Keys)}]");
            foreach (var (key, since) in before)
            {
                // First seen where it was, moved with the clock: 6 minutes back (the 15 s between the polls really passed).
                Assert.Equal(since - TimeSpan.FromMinutes(6), after[key]);
            }
        }
    }

    private static Zone Cgroup(string id, long used, long cap, long denials) => new()
    {
        Id = id,
        Kind = ZoneKind.Cgroup,
        Name = id[(id.LastIndexOf('/') + 1)..],
        Unit = id[(id.LastIndexOf('/') + 1)..],
        Lwps = used,
        LwpLimit = cap,
        Denials = denials,
        CgroupPath = "/sys/fs/cgroup/pids" + id,
    };

    private static string Describe(List<AlertNotification> ns) =>
        string.Join("; ", ns.Select(n => $"{n.Receiver} {n.Status} {n.Reason} {n.Alert.Rule} {n.Alert.ZoneId} {n.Alert.Severity} startsAt={n.Alert.StartsAt:O}"));

    private static async Task<List<AlertNotification>> Poll(PollPipeline pipeline, AlertTracker tracker, SettableClock clock, int polls)
    {
        var notifications = new List<AlertNotification>();
        for (var i = 0; i < polls; i++)
        {
            var r = await pipeline.RunOnceAsync(CancellationToken.None);
            Assert.Empty(r.Outcome.RuleErrors);
            notifications.AddRange(tracker.Update(r.Outcome.Findings, clock.Now, r.Outcome.Snapshot).Notifications);
            clock.Now += TimeSpan.FromSeconds(15);
        }

        return notifications;
    }
}
