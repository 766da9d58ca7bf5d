using System.Collections.Concurrent;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Delivery;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// The real host (PollingWorker, AlertPersister, DeliveryWorker, Kestrel) on real cgroups, with one
/// receiver that hangs for 30 s: poll timestamps, recorded by an observer on the poll loop, stay on the
/// interval, and the healthy receiver is served meanwhile.
/// </summary>
public sealed class HangingReceiverHostTests
{
    [Fact]
    public async Task Polls_stay_on_time_while_a_receiver_hangs_for_30_seconds()
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        using var zones = new CgroupZones(5);
        await using var hang = new TestReceiver { Behaviour = _ => new TestReceiver.Reply(200, TimeSpan.FromSeconds(30)) };
        await using var ok = new TestReceiver();
        await hang.StartAsync();
        await ok.StartAsync();
        var state = Directory.CreateTempSubdirectory("lwpw-test-state-").FullName;
        var interval = TimeSpan.FromMilliseconds(250);
        var options = new LwpWatchOptions
        {
            Poll = new PollSettings { Interval = interval, Platform = "linux" },
            Http = new HttpSettings { Listen = $"http://127.0.0.1:{TestReceiver.FreePort()}" },
            Linux = new LinuxSettings { CgroupRoot = zones.Root },
            State = new StateSettings { Dir = state },
            Receivers =
            [
                new ReceiverSettings { Name = "slow", Type = ReceiverSettings.Webhook, Url = hang.Url.AbsoluteUri, Timeout = TimeSpan.FromSeconds(30) },
                new ReceiverSettings { Name = "fast", Type = ReceiverSettings.Webhook, Url = ok.Url.AbsoluteUri },
            ],
        };
        Assert.Empty(options.Validate());
        var polls = new ConcurrentQueue<DateTimeOffset>();
        var receivers = Receiver.BuildAll(options.Receivers, options.Alerts, options.Http.Listen);
        using var logger = new LoggerConfiguration().CreateLogger();
        var app = RunCommand.Build(options, new PollPipeline(options, Program.LiveSource(), TimeProvider.System), logger,
        [
            s => DeliveryServices.Add(s, options, receivers),
            s => s.AddSingleton<IPollObserver>(new Recorder(polls)),
        ]);
        try
        {
            await app.StartAsync();
            // 60 s condition waits: delivery fsyncs the SQLite outbox (synchronous=FULL) on the root disk, which a
            // loaded 2-core CI box with a VM image build beside it stalls for seconds; the 8 s window below is unchanged.
            await hang.WaitForAsync(r => !r.Requests.IsEmpty || HangStarted(app), TimeSpan.FromSeconds(60), "the slow receiver to be called");
            await ok.WaitForAsync(r => r.Accepted.Count >= 5, TimeSpan.FromSeconds(60), "the fast receiver to get all 5 alerts");
            var from = DateTimeOffset.UtcNow;
            await Task.Delay(TimeSpan.FromSeconds(8));
            var window = polls.Where(t => t >= from).ToList();
            var gaps = window.Zip(window.Skip(1), (a, b) => b - a).ToList();

            // 8 s at 250 ms is 32 polls. A loop stuck behind the 30 s send would show one poll and no gap
            // under 30 s; the generous bounds only absorb a heavily loaded CI box.
            Assert.True(window.Count >= 10, $"only {window.Count} polls in 8 s");
            Assert.True(gaps.Max() < TimeSpan.FromSeconds(5), $"largest gap between polls {gaps.Max().TotalMilliseconds:0} ms");
            Assert.Equal(0, app.Services.GetRequiredService<DeliveryMetrics>().Get("slow", DeliveryMetrics.Delivered));
            Assert.True(app.Services.GetRequiredService<DeliveryMetrics>().Depth >= 5, "the slow receiver's notifications are still queued");
        }
        finally
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await app.StopAsync(cts.Token);
            await app.DisposeAsync();
            Directory.Delete(state, recursive: true);
        }
    }

    /// <summary>The hanging request is only recorded when it ends; until then a busy outbox row shows it started.</summary>
    private static bool HangStarted(Microsoft.AspNetCore.Builder.WebApplication app) =>
        app.Services.GetRequiredService<DeliveryMetrics>().Depth > 0;

    private sealed class Recorder(ConcurrentQueue<DateTimeOffset> polls) : IPollObserver
    {
        public void OnPoll(PollResult result) => polls.Enqueue(DateTimeOffset.UtcNow);
    }
}
