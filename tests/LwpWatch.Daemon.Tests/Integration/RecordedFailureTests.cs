using System.Text.Json;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Integration;

/// <summary>
/// Failures the daemon used to record and keep quiet about (issue 16): an evidence bundle it cannot write and an
/// sd_notify message systemd does not get. `lwpwatch run` over a real cgroup whose forks are refused (a critical
/// finding, so a bundle is due), with the spool unwritable and NOTIFY_SOCKET naming a socket nobody listens on:
/// each failure is a JSON log line with its event id and a counter on /metrics that passes promtool.
/// </summary>
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed class RecordedFailureTests
{
    [Fact]
    public async Task An_unwritable_evidence_spool_and_a_dead_notify_socket_are_logged_with_their_ids_and_counted()
    {
        Assert.True(RealCgroup.Available, "needs root and /sys/fs/cgroup/pids");
        // The daemon sees only this test's cgroup (a view root whose "pids" is its parent): other cgroups at their cap
        // on the host (a bench's, another test's) are critical incidents too, and evidence.maxPerPoll would take
        // theirs first (they sort before ours and are retried every poll), so ours might never be attempted.
        using var parent = new RealCgroup(max: null);
        using var cg = new RealCgroup(max: 30, name: parent.Name + "/z1");
        cg.StartThreads(50);
        var view = TestTools.NewTempDir();
        File.CreateSymbolicLink(Path.Combine(view, "pids"), parent.Path);
        const string Zone = "/z1";
        var state = TestTools.NewTempDir();
        // A regular file where the spool directory goes: unwritable even for root (the tests run as root).
        File.WriteAllText(Path.Combine(state, "evidence"), "not a directory\n");
        var dead = Path.Combine(TestTools.NewTempDir(), "notify"); // no socket bound there
        using var d = new DaemonProcess(
            ["--interval", "1s"],
            $"linux:\n  cgroupRoot: {view}\nstate:\n  dir: {state}\nlogging:\n  format: json\nevidence:\n  enabled: true\n",
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = dead });

        // The counters go up before their lines are logged (logging is asynchronous), so the wait includes the lines.
        var metrics = await d.WaitForAsync("/metrics", TimeSpan.FromSeconds(60), m =>
            Value(m, "lwpwatch_evidence_save_errors_total") >= 1 && Value(m, "lwpwatch_systemd_notify_errors_total") >= 2
            && JsonLines(d.Output).Any(l => IsEvidenceLine(l, Zone)) && JsonLines(d.Output).Any(l => Id(l) == 1602));
        var (code, stdout, stderr) = Promtool.CheckMetrics(metrics);
        Assert.True(code == 0, $"promtool check metrics exit {code}: {stdout}{stderr}");
        Assert.Contains("# TYPE lwpwatch_evidence_save_errors_total counter", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE lwpwatch_systemd_notify_errors_total counter", metrics, StringComparison.Ordinal);

        var lines = JsonLines(d.Output);
        // Every poll tries the bundle again (under a new id) and logs each failure.
        var evidence = lines.First(l => IsEvidenceLine(l, Zone));
        Assert.Equal("Error", evidence.GetProperty("@l").GetString());
        Assert.Equal(Path.Combine(state, "evidence"), evidence.GetProperty("Dir").GetString());
        // One line for the run of failures, not one per watchdog ping or poll.
        var notify = Assert.Single(lines, l => Id(l) == 1602);
        Assert.Equal("Warning", notify.GetProperty("@l").GetString());
        Assert.Equal(dead, notify.GetProperty("Socket").GetString());
        Assert.Equal("READY=1", notify.GetProperty("Notification").GetString());
    }

    private static List<JsonElement> JsonLines(string output) =>
        [.. output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)];

    private static bool IsEvidenceLine(JsonElement line, string zone) =>
        Id(line) == 1700 && line.GetProperty("Fingerprint").GetString()!.EndsWith("|" + zone, StringComparison.Ordinal);

    private static int Id(JsonElement line) =>
        line.TryGetProperty("EventId", out var e) && e.TryGetProperty("Id", out var id) ? id.GetInt32() : 0;

    private static double Value(string exposition, string name)
    {
        var m = Regex.Match(exposition, "^" + Regex.Escape(name) + @" (\S+)$", RegexOptions.Multiline);
        return m.Success ? double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
    }
}
