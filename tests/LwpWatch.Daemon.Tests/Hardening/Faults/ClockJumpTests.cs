using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
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
