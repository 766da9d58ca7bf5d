using System.Diagnostics;
using System.Globalization;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Pipeline;
using Xunit;
using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Hardening.Load;

[CollectionDefinition("Memory", DisableParallelization = true)]
public sealed class MemoryCollection;

/// <summary>
/// 10,000 zones, 1,000 of them jittering around the near-cap warning threshold every poll: the real collector,
/// rules and alert tracker must produce one alert per flapping zone (not one per crossing) and keep memory flat.
/// Quick: 60 polls (60 s of 1 s polls); LWPWATCH_LOAD=full: 1,800 polls (30 min of 1 s polls).
/// </summary>
[Trait("Category", "Hardening")]
[Collection("Memory")]
public sealed class ZoneLoadTests(ITestOutputHelper output)
{
    private const int Zones = 10_000;
    private const int Flapping = 1_000;
    private const int Limit = 1_000;

    [Fact]
    public async Task Ten_thousand_zones_with_a_thousand_flapping_make_no_alert_storm_and_memory_stays_flat()
    {
        var full = HardeningMode.Full("load");
        var polls = full ? 1_800 : 20;
        using var tree = new SyntheticCgroupTree(Zones, Limit);
        var clock = new SettableClock(new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero));
        var options = new LwpWatchOptions
        {
            // Rule history is bounded (window and count) and holds whole snapshots, so memory grows until it is
            // full: quick mode keeps it short so it fills within the run; full mode uses the default 30 min.
            Poll = new PollSettings { Platform = "linux", History = full ? new PollSettings().History : TimeSpan.FromSeconds(10) },
            Linux = new LinuxSettings { CgroupRoot = tree.Root, Systemd = new SystemdSettings { Enabled = "false" } },
            Receivers = [new ReceiverSettings { Name = "hook", Type = ReceiverSettings.Webhook, Url = "http://127.0.0.1:9/hook" }],
        };
        var pipeline = new PollPipeline(options, new LiveHostSource(new CommandRunner()), clock, "linux", "load-test");
        var tracker = new AlertTracker(options.Alerts, new AlertRouter(options.Alerts, options.Receivers));
        var random = new Random(42);
        var firing = 0;
        var resolved = 0;
        var crossings = 0;
        var previousAbove = new bool[Flapping];
        long rssStart = 0, heapStart = 0;
        var pollTimes = new List<double>();
        var warm = full ? 300 : 8;
        var byRule = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var p = 0; p < polls; p++)
        {
            // Jitter inside [0.83, 0.87] of the cap: crosses the 0.85 warning line, stays above 0.85 - hysteresis.
            for (var i = 0; i < Flapping; i++)
            {
                var usage = 830 + random.Next(41);
                var above = usage >= 850;
                if (p > 0 && above != previousAbove[i])
                {
                    crossings++;
                }

                previousAbove[i] = above;
                tree.Set(i, usage);
            }

            var sw = Stopwatch.StartNew();
            var result = await pipeline.RunOnceAsync(CancellationToken.None);
            var update = tracker.Update(result.Outcome.Findings, clock.Now, result.Outcome.Snapshot);
            pollTimes.Add(sw.Elapsed.TotalMilliseconds);
            Assert.All(result.Outcome.Snapshot.Collectors.Where(c => c.Name == "cgroup-pids"), c => Assert.True(c.Success, c.Error));
            Assert.Equal(Zones, result.Outcome.Snapshot.Zones.Count(z => z.Id.Contains("zone-", StringComparison.Ordinal)));
            foreach (var n in update.Notifications)
            {
                var key = $"{n.Alert.Rule}/{n.Status}/{n.Alert.Severity}";
                byRule[key] = byRule.GetValueOrDefault(key) + 1;
                if (n.Status == AlertNotification.Firing)
                {
                    firing++;
                }
                else
                {
                    resolved++;
                }
            }

            if (p == warm)
            {
                // Baseline after warm-up (JIT, caches, the first alerts): what must not grow from here.
                (rssStart, heapStart) = Memory();
            }

            clock.Now += TimeSpan.FromSeconds(1);
        }

        var (rssEnd, heapEnd) = Memory();
        output.WriteLine(string.Join(", ", byRule.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}={k.Value}")));
        pollTimes.Sort();
        HardeningMode.Figure(output, string.Create(CultureInfo.InvariantCulture,
            $"load zones={Zones} flapping={Flapping} polls={polls} threshold-crossings={crossings} firing-notifications={firing} resolve-notifications={resolved} alerts={tracker.Alerts.Length} poll-ms-median={pollTimes[pollTimes.Count / 2]:0} poll-ms-p99={pollTimes[(int)(pollTimes.Count * 0.99)]:0} rss-start={rssStart / 1048576}MB rss-end={rssEnd / 1048576}MB heap-start={heapStart / 1048576}MB heap-end={heapEnd / 1048576}MB mode={(full ? "full" : "quick")}"));

        Assert.True(crossings > Flapping * 5, $"the fixture did not flap ({crossings} crossings)");
        // near-cap: one firing notification per flapping zone (one receiver), none per crossing, none resolves.
        Assert.Equal(Flapping, byRule.GetValueOrDefault("near-cap/firing/Warning"));
        Assert.DoesNotContain(byRule.Keys, k => k.StartsWith("near-cap/resolved", StringComparison.Ordinal));
        Assert.Equal(Flapping, tracker.Alerts.Count(a => a.State == AlertState.Firing && a.Rule == "near-cap"));
        // No storm from any rule: notifications are bounded by zones, not by threshold crossings.
        Assert.True(firing + resolved <= Flapping * 3, $"{firing} firing + {resolved} resolved notifications for {crossings} crossings");
        // Flat: managed heap after a full GC may not grow by more than a quarter of its warm size.
        Assert.True(heapEnd < (heapStart * 1.25) + (8 << 20), $"heap grew from {heapStart} to {heapEnd}");
    }

    private static (long Rss, long Heap) Memory()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return (self.WorkingSet64, heap);
    }
}
