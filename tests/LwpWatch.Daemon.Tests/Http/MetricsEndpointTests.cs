using System.Globalization;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Delivery;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Pipeline;
using LwpWatch.Daemon.Tests.Delivery;
using LwpWatch.Daemon.Tests.Metrics;
using LwpWatch.Daemon.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serilog;

namespace LwpWatch.Daemon.Tests.Http;

/// <summary>
/// /metrics of the real host (RunCommand.Build: Kestrel, the poll loop, delivery) over real cgroups: zones that
/// disappear leave the exposition, and delivery metrics are read at the scrape, not at the last poll.
/// </summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task A_deleted_cgroup_leaves_metrics_in_both_formats_at_the_next_poll()
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        using var zones = new CgroupZones(2, limit: 5);
        await using var host = await Host.StartAsync(zones, TimeSpan.FromMilliseconds(300));
        var gone = "zone=\"/z01\"";
        foreach (var accept in new[] { "text/plain;version=0.0.4", ExpositionTests.Prometheus242Accept })
        {
            var before = await host.WaitForMetricsAsync(accept, m => m.Contains(gone, StringComparison.Ordinal), "z01 in /metrics");
            Assert.Contains("lwpwatch_zone_lwps{zone=\"/z00\"", before, StringComparison.Ordinal);
        }

        // The poll loop gives freed memory back after its polls (HeapTrimmer: bench/RESULTS.md, memory fifth set).
        // PollingWorker publishes a poll (what /metrics shows) before it trims, so wait (bounded) for the first trim.
        var trimmer = host.App.Services.GetRequiredService<HeapTrimmer>();
        var trimDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (trimmer.Trims < 1 && DateTime.UtcNow < trimDeadline)
        {
            await Task.Delay(50);
        }

        Assert.True(trimmer.Trims >= 1, "no heap trim within 30 s of the first polls");

        zones.Remove("z01");
        foreach (var accept in new[] { "text/plain;version=0.0.4", ExpositionTests.Prometheus242Accept })
        {
            var after = await host.WaitForMetricsAsync(accept, m => !m.Contains(gone, StringComparison.Ordinal), "z01 gone from /metrics");
            Assert.Contains("lwpwatch_zone_lwps{zone=\"/z00\",kind=\"cgroup\",name=\"z00\"} 1", after, StringComparison.Ordinal);
            if (accept == ExpositionTests.Prometheus242Accept)
            {
                _ = ExpositionParser.OpenMetrics(after);
            }
            else
            {
                Assert.Equal(0, Promtool.CheckMetrics(after).ExitCode);
            }
        }
    }

    [Fact]
    public async Task Delivery_and_connection_metrics_are_read_at_the_scrape_not_at_the_last_poll()
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        using var zones = new CgroupZones(1, limit: 5);
        // One poll at start, the next in an hour: whatever changes in /metrics meanwhile was read at the scrape.
        await using var host = await Host.StartAsync(zones, TimeSpan.FromHours(1));
        var first = await host.WaitForMetricsAsync("text/plain", m => m.Contains("lwpwatch_last_poll_timestamp_seconds ", StringComparison.Ordinal), "the first poll");
        Assert.Equal(0, Value(first, "lwpwatch_notifications_total{receiver=\"hook\",result=\"delivered\"}"));
        // The scraping connection itself is open while /metrics is rendered.
        Assert.True(Value(first, "lwpwatch_http_connections") >= 1, first);

        var delivery = host.App.Services.GetRequiredService<DeliveryMetrics>();
        delivery.Count("hook", DeliveryMetrics.Delivered);
        delivery.Count("hook", DeliveryMetrics.Delivered);
        delivery.StoreError();
        delivery.SetStoreHealthy(false);
        var later = await host.WaitForMetricsAsync(
            ExpositionTests.Prometheus242Accept,
            m => m.Contains("lwpwatch_notifications_total{receiver=\"hook\",result=\"delivered\"} 2.0\n", StringComparison.Ordinal),
            "two deliveries counted without a poll");
        Assert.Contains("\nlwpwatch_outbox_store_errors_total 1.0\n", later, StringComparison.Ordinal);
        Assert.Contains("\nlwpwatch_outbox_store_healthy 0.0\n", later, StringComparison.Ordinal);
        Assert.Equal(Value(first, "lwpwatch_last_poll_timestamp_seconds"), Value(later, "lwpwatch_last_poll_timestamp_seconds"));
        _ = ExpositionParser.OpenMetrics(later);
    }

    private static double Value(string exposition, string series) =>
        double.Parse(exposition.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], CultureInfo.InvariantCulture);

    private sealed class Host : IAsyncDisposable
    {
        private readonly string _state;
        private readonly Serilog.Core.Logger _logger;
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

        private Host(WebApplication app, string url, string state, Serilog.Core.Logger logger)
        {
            App = app;
            Url = url;
            _state = state;
            _logger = logger;
        }

        public WebApplication App { get; }

        public string Url { get; }

        public static async Task<Host> StartAsync(CgroupZones zones, TimeSpan interval)
        {
            var state = Directory.CreateTempSubdirectory("lwpw-test-state-").FullName;
            var url = $"http://127.0.0.1:{TestReceiver.FreePort()}";
            var options = new LwpWatchOptions
            {
                Poll = new PollSettings { Interval = interval, History = interval * 2 > TimeSpan.FromMinutes(30) ? interval * 2 : TimeSpan.FromMinutes(30), Platform = "linux" },
                Http = new HttpSettings { Listen = url },
                Linux = new LinuxSettings { CgroupRoot = zones.Root },
                State = new StateSettings { Dir = state },
                // Never reached: nothing fires (the zones are far from their caps); the receiver seeds its series.
                Receivers = [new ReceiverSettings { Name = "hook", Type = ReceiverSettings.Webhook, Url = "http://127.0.0.1:9/" }],
            };
            Assert.Empty(options.Validate());
            var receivers = Receiver.BuildAll(options.Receivers, options.Alerts, options.Http.Listen);
            var logger = new LoggerConfiguration().CreateLogger();
            var app = RunCommand.Build(options, new PollPipeline(options, Program.LiveSource(), TimeProvider.System), logger, [s => DeliveryServices.Add(s, options, receivers)]);
            await app.StartAsync();
            return new Host(app, url, state, logger);
        }

        public async Task<string> WaitForMetricsAsync(string accept, Func<string, bool> until, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            var last = "";
            while (DateTime.UtcNow < deadline)
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, Url + "/metrics");
                req.Headers.Accept.ParseAdd(accept);
                using var resp = await _http.SendAsync(req);
                last = await resp.Content.ReadAsStringAsync();
                var om = accept.StartsWith("application/openmetrics-text", StringComparison.Ordinal);
                Assert.Equal(om ? "application/openmetrics-text" : "text/plain", resp.Content.Headers.ContentType?.MediaType);
                if (until(last))
                {
                    return last;
                }

                await Task.Delay(100);
            }

            throw new TimeoutException($"timed out waiting for {what}; last /metrics:\n{last}");
        }

        public async ValueTask DisposeAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await App.StopAsync(cts.Token);
            await App.DisposeAsync();
            _http.Dispose();
            _logger.Dispose();
            Directory.Delete(_state, recursive: true);
        }
    }
}
