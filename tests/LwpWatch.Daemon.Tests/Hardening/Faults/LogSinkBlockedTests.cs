using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Hardening.Faults;

/// <summary>
/// The multipath lesson: a daemon whose logging blocks on a stalled sink stops doing its job. Here the real
/// daemon's stdout and stderr are a pipe that is already full and that nobody reads; polls must keep completing
/// on time (watched through /metrics) and the log events that cannot be written are dropped and counted.
/// Quick: 20 s; LWPWATCH_FAULTS=full (or LWPWATCH_HARDENING=full): 60 s.
/// </summary>
[Trait("Category", "Hardening")]
[Trait("Binary", "lwpwatch")]
public sealed partial class LogSinkBlockedTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = TestTools.NewTempDir("lwpw-logblock-");
    private Process? _daemon;
    private RealCgroup? _parent;

    public void Dispose()
    {
        if (_daemon is { HasExited: false })
        {
            _daemon.Kill(entireProcessTree: true);
            _daemon.WaitForExit(10_000);
        }

        _daemon?.Dispose();
        _parent?.Dispose(); // after the daemon: it removes the view's cgroup (and its child) only once nobody polls it
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Polls_stay_on_time_while_stdout_is_a_full_pipe_nobody_reads()
    {
        Assert.True(RealCgroup.Available, "needs root and /sys/fs/cgroup/pids");
        var blocked = TimeSpan.FromSeconds(HardeningMode.Full("faults") ? 60 : 20);

        // The daemon sees only this test's cgroup (a view root whose "pids" is its parent, one quiet zone inside), as
        // RecordedFailureTests does: over the whole host's cgroups (other tests' trees coming and going, a bench's
        // thousands) a poll can take longer than the 2 s sample below on a loaded CI box, which is not what this
        // test is about (the log sink).
        _parent = new RealCgroup(max: null);
        Directory.CreateDirectory(Path.Combine(_parent.Path, "z1"));
        var view = Directory.CreateDirectory(Path.Combine(_dir, "view")).FullName;
        File.CreateSymbolicLink(Path.Combine(view, "pids"), _parent.Path);
        var port = TestTools.FreePort();
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var fifo = Path.Combine(_dir, "stdout.fifo");
        Assert.Equal(0, TestTools.Run("mkfifo", [fifo], TimeSpan.FromSeconds(10)).ExitCode);
        var config = Path.Combine(_dir, "lwpwatch.yaml");
        await File.WriteAllTextAsync(config, $"linux:\n  cgroupRoot: {view}\nstate:\n  dir: {_dir}\nlogging:\n  level: Verbose\n  format: json\n  bufferSize: 16\n");

        // fd 3 holds both ends of the FIFO (so opening never blocks); `cat` fills it until the kernel refuses
        // more and is then stopped; the daemon inherits the full pipe as stdout and stderr. Nobody reads it.
        var script = "exec 3<>\"$1\"; timeout 2 cat /dev/zero >&3; exec \"$2\" run --config \"$3\" --listen \"$4\" --interval 1s >&3 2>&3";
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", script, "sh", fifo, TestTools.Lwpwatch, config, url })
        {
            psi.ArgumentList.Add(a);
        }

        _daemon = Process.Start(psi)!;
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        var first = await WaitForPoll(http, TimeSpan.FromSeconds(60));

        var samples = new List<(TimeSpan At, double LastPoll)>();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < blocked)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            samples.Add((sw.Elapsed, LastPoll(await http.GetStringAsync("/metrics"))));
        }

        var metrics = await http.GetStringAsync("/metrics");
        var dropped = Gauge(metrics, "lwpwatch_log_events_dropped_total");
        var advanced = samples[^1].LastPoll - first;
        var worstLag = samples.Max(s => DateTimeOffset.UtcNow.ToUnixTimeSeconds() - s.LastPoll - (sw.Elapsed - s.At).TotalSeconds);
        HardeningMode.Figure(output, string.Create(CultureInfo.InvariantCulture,
            $"fault log-sink-blocked seconds={blocked.TotalSeconds:0} polls-advanced={advanced:0.0}s worst-lag={worstLag:0.0}s log-events-dropped={dropped}"));

        Assert.False(_daemon.HasExited, "the daemon died with its log sink blocked");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        // Every 2 s sample saw a newer poll (1 s interval): the loop never stalled behind the log.
        for (var i = 1; i < samples.Count; i++)
        {
            Assert.True(samples[i].LastPoll > samples[i - 1].LastPoll, $"no poll completed between {samples[i - 1].At} and {samples[i].At}");
        }

        Assert.True(advanced >= blocked.TotalSeconds - 5, $"polls advanced only {advanced} s in {blocked.TotalSeconds} s");
        Assert.True(dropped > 0, "nothing was dropped, so the sink was not blocked and the test proved nothing");
    }

    private async Task<double> WaitForPoll(HttpClient http, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            Assert.False(_daemon!.HasExited, $"lwpwatch exited with {(_daemon.HasExited ? _daemon.ExitCode : 0)}");
            try
            {
                var v = LastPoll(await http.GetStringAsync("/metrics"));
                if (v > 0)
                {
                    return v;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("no poll completed");
    }

    private static double LastPoll(string metrics) => Gauge(metrics, "lwpwatch_last_poll_timestamp_seconds");

    private static double Gauge(string metrics, string name)
    {
        var m = Regex.Match(metrics, "^" + name + " (\\S+)$", RegexOptions.Multiline);
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }
}
