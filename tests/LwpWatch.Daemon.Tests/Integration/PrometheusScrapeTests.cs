using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Tests.Metrics;
using LwpWatch.Daemon.Tests.Packaging;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Integration;

/// <summary>
/// The acceptance path end to end on real parts: a real cgroup at its pids cap, `lwpwatch run` as a child
/// process, the Debian `prometheus` scraping it on loopback and evaluating the shipped alert rules
/// (with their `for:` shortened in a test copy so this takes seconds, not minutes). Prometheus 2.42 asks for
/// OpenMetrics first (its Accept header, recorded here by a second target), so these series arrived through the
/// daemon's OpenMetrics exposition, parsed by Prometheus' own parser (an invalid one fails the scrape: no series).
/// </summary>
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Prometheus_scrapes_lwpwatch_run_and_fires_near_cap_for_a_real_cgroup()
    {
        Assert.True(RealCgroup.Available, "needs root and /sys/fs/cgroup/pids");
        using var cg = new RealCgroup(max: 20);
        cg.StartThreads(50);
        var state = TestTools.NewTempDir();
        using var daemon = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {state}\nlogging:\n  format: json\n");
        await daemon.WaitForAsync("/readyz", TimeSpan.FromSeconds(30));

        using var probe = new AcceptRecorder();
        var rules = Regex.Replace(File.ReadAllText(Repo.Path("packaging", "prometheus", "lwpwatch-rules.yml")), @"(?m)^(\s+for:) \S+$", "$1 1s");
        var config = $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [rules.yml]
            scrape_configs:
              - job_name: lwpwatch
                static_configs:
                  - targets: ['127.0.0.1:{daemon.Port}']
              - job_name: accept-probe
                static_configs:
                  - targets: ['127.0.0.1:{probe.Port}']
            """;
        using var prometheus = new PrometheusServer(config, new Dictionary<string, string> { ["rules.yml"] = rules });
        // 60 s: a loaded 2-core CI box with a VM image build beside it can take far longer than an idle one to start
        // Prometheus (TSDB, rules); the wait returns as soon as /-/ready answers.
        await prometheus.WaitReadyAsync(TimeSpan.FromSeconds(60));

        var series = await prometheus.WaitForQueryAsync($"lwpwatch_zone_lwps{{zone=\"{cg.ZoneId}\"}}", TimeSpan.FromSeconds(25));
        var sample = series[0];
        Assert.Equal("cgroup", sample.GetProperty("metric").GetProperty("kind").GetString());
        Assert.Equal(cg.Name, sample.GetProperty("metric").GetProperty("name").GetString());
        Assert.Equal("lwpwatch", sample.GetProperty("metric").GetProperty("job").GetString());
        Assert.Equal(20, double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture));

        // What Prometheus asked for, and so what it got: OpenMetrics. (The probe is its own target, scraped in its own
        // time: wait until Prometheus has scraped it once.)
        // The condition waits below get 60 s (a loaded 2-core CI box, a VM image build beside it); each returns once it holds.
        await prometheus.WaitForQueryAsync("up{job=\"accept-probe\"} == 1", TimeSpan.FromSeconds(60));
        Assert.Equal(ExpositionTests.Prometheus242Accept, probe.Accept);
        Assert.Equal(Prometheus.ExpositionFormat.OpenMetricsText, Exposition.Negotiate(probe.Accept));
        // A counter (named without _total in OpenMetrics' TYPE line) and a scrape-time family arrived too.
        Assert.True(0 < (await prometheus.WaitForQueryAsync($"lwpwatch_zone_lwp_denials_total{{zone=\"{cg.ZoneId}\"}}", TimeSpan.FromSeconds(60))).GetArrayLength());
        Assert.True(0 < (await prometheus.WaitForQueryAsync("lwpwatch_http_connections{job=\"lwpwatch\"} >= 1", TimeSpan.FromSeconds(60))).GetArrayLength());

        var alert = await prometheus.WaitForAlertAsync(
            a => Label(a, "alertname") == "LwpWatchNearCap" && Label(a, "zone") == cg.ZoneId && Label(a, "severity") == "critical" && a.GetProperty("state").GetString() == "firing",
            TimeSpan.FromSeconds(60),
            "LwpWatchNearCap critical firing for " + cg.ZoneId);
        Assert.Equal("lwps", Label(alert, "resource"));
        Assert.Equal($"cgroup {cg.Name} is at 100% of its lwps cap", alert.GetProperty("annotations").GetProperty("summary").GetString());
        Assert.EndsWith("docs/runbooks/LwpWatchNearCap.md", alert.GetProperty("annotations").GetProperty("runbook_url").GetString(), StringComparison.Ordinal);
    }

    private static string? Label(JsonElement alert, string name) =>
        alert.GetProperty("labels").TryGetProperty(name, out var v) ? v.GetString() : null;

    /// <summary>A scrape target that records the Accept header of the first request and answers one gauge.</summary>
    private sealed class AcceptRecorder : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private volatile string? _accept;

        public AcceptRecorder()
        {
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public string? Accept => _accept;

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }

        private async Task ServeAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    var stream = client.GetStream();
                    var request = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(buffer, _stop.Token);
                        if (n == 0)
                        {
                            break;
                        }

                        request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }

                    _accept ??= request.ToString().Split("\r\n").FirstOrDefault(l => l.StartsWith("Accept:", StringComparison.OrdinalIgnoreCase))?["Accept:".Length..].Trim();
                    const string body = "probe_up 1\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
            {
                // Stopped.
            }
        }
    }
}
