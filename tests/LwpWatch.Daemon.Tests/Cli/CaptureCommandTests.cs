using System.Globalization;
using System.Text.Json;
using LwpWatch.Collectors.Capture;
using LwpWatch.Core.Options;
using LwpWatch.Core.Output;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Pipeline;
using Xunit;

namespace LwpWatch.Daemon.Tests.Cli;

/// <summary>
/// `lwpwatch capture` on this Linux machine (real cgroup v1 pids hierarchy, as root), then `check --replay` of
/// the bundle: the replay must see what the live check saw.
/// </summary>
public sealed class CaptureCommandTests : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("lwpw-test-").FullName;
    private readonly PidsCgroup _cgroup = PidsCgroup.AtCapWithDenials();

    public void Dispose()
    {
        _cgroup.Dispose();
        Directory.Delete(_tmp, recursive: true);
    }

    [Fact]
    public async Task ReplayOfARecordedPollEqualsTheLivePollItRecorded()
    {
        var options = new LwpWatchOptions();
        var recorder = new RecordingHostSource(Program.LiveSource());
        var live = new PollPipeline(options, recorder, TimeProvider.System);
        var liveResult = await live.RunOnceAsync(CancellationToken.None);
        var bundle = Path.Combine(_tmp, "bundle");
        var writer = BundleWriter.Create(bundle, live.Platform, Environment.MachineName);
        writer.WritePoll(liveResult.Outcome.Snapshot.TakenAt, recorder.TakeRecording());

        var replay = ReplayCli.Prepare(bundle, null, options);
        Assert.Null(replay.Error);
        var replayed = await replay.RunAllAsync(CancellationToken.None) ?? throw new InvalidOperationException(replay.Error);

        var a = liveResult.Outcome.Snapshot;
        var b = replayed.Outcome.Snapshot;
        Assert.Equal("linux", b.Platform);
        Assert.Contains(a.Zones, z => z.Id == _cgroup.ZoneId);
        Assert.Equal(a.Services.ToArray(), b.Services.ToArray());
        Assert.Equal(a.HostLimits, b.HostLimits);
        Assert.Equal(a.Collectors.Select(c => (c.Name, c.Success, c.Error)), b.Collectors.Select(c => (c.Name, c.Success, c.Error)));

        // This host is shared: another test's tenant tree may be too long to store below the bundle (the writer
        // leaves such paths out and names them, LongPathCaptureTests). Then the replay is the live poll minus
        // exactly the zones at or below a path it left out; otherwise it is the live poll, byte for byte.
        var unstored = writer.Unstored.ToHashSet(StringComparer.Ordinal);
        bool Kept(string? cgroupPath) => cgroupPath is null || !Ancestry(cgroupPath).Any(unstored.Contains);
        var keptZones = a.Zones.Where(z => Kept(z.CgroupPath)).ToArray();
        var lostIds = a.Zones.Where(z => !Kept(z.CgroupPath)).Select(z => z.Id).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(_cgroup.ZoneId, lostIds);
        Assert.Equal(keptZones.Length, b.Zones.Length);
        for (var i = 0; i < keptZones.Length; i++)
        {
            Assert.Equal(keptZones[i], b.Zones[i]);
        }

        Assert.Equal(a.TopHolders.Where(h => !lostIds.Contains(h.ZoneId)).ToArray(), b.TopHolders.Where(h => !lostIds.Contains(h.ZoneId)).ToArray());
        Assert.Equal(a.Warnings.Where(w => !lostIds.Any(id => w.Contains(id, StringComparison.Ordinal))).ToArray(), b.Warnings.ToArray());
        if (unstored.Count == 0)
        {
            Assert.Equal(CheckJson.Write(liveResult.Outcome), CheckJson.Write(replayed.Outcome));
        }
        else
        {
            Assert.Equal(
                liveResult.Outcome.Findings.Where(f => !lostIds.Contains(f.ZoneId)).Select(f => (f.ZoneId, f.Rule, f.Severity)),
                replayed.Outcome.Findings.Where(f => !lostIds.Contains(f.ZoneId)).Select(f => (f.ZoneId, f.Rule, f.Severity)));
        }
    }

    private static IEnumerable<string> Ancestry(string path)
    {
        for (var p = path; p.Length > 1; p = p[..Math.Max(1, p.LastIndexOf('/'))])
        {
            yield return p;
        }
    }

    [Fact]
    public async Task CaptureThenCheckReplayGivesTheSameZonesAndFindingsAsALiveCheck()
    {
        var bundle = Path.Combine(_tmp, "bundle");
        using var capOut = new StringWriter();
        using var capErr = new StringWriter();
        var code = await CaptureCommand.ExecuteAsync(ReplayCliTests.Args("capture", "--out", bundle, "--polls", "2", "--interval", "1s"), capOut, capErr, CancellationToken.None);
        Assert.True(code == 0, capErr.ToString());
        Assert.Contains("(2 polls, platform linux)", capOut.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, BundleReader.Open(bundle).Polls.Length);

        var (replayCode, replayJson, replayErr) = await ReplayCliTests.CheckAsync("--replay", bundle, "--format", "json");
        var (liveCode, liveJson, liveErr) = await ReplayCliTests.CheckAsync("--format", "json");
        Assert.True(replayCode == liveCode, $"replay {replayCode} live {liveCode}: {replayErr} {liveErr}");
        Assert.Equal(2, liveCode);

        using var replayDoc = JsonDocument.Parse(replayJson);
        using var liveDoc = JsonDocument.Parse(liveJson);
        // The machine is shared, so other cgroups may come and go between the capture and the live check:
        // compare what this test controls, and that every cgroup the replay shows was real.
        Assert.Equal(ZoneOf(liveDoc), ZoneOf(replayDoc));
        Assert.Equal(FindingsOf(liveDoc), FindingsOf(replayDoc));
        Assert.Equal(["fork-denied|critical", "near-cap|critical"], FindingsOf(liveDoc).Select(f => f.Split('|')[0] + "|" + f.Split('|')[1]));
        foreach (var z in replayDoc.RootElement.GetProperty("zones").EnumerateArray())
        {
            Assert.Equal("cgroup", z.GetProperty("kind").GetString());
        }
    }

    [Fact]
    public async Task CaptureNeedsAnOutDirectoryAndSanePollCount()
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        Assert.Equal(Program.UsageError, await CaptureCommand.ExecuteAsync(ReplayCliTests.Args("capture"), o, e, CancellationToken.None));
        Assert.Contains("--out DIR is required", e.ToString(), StringComparison.Ordinal);
        Assert.Equal(Program.UsageError, await CaptureCommand.ExecuteAsync(ReplayCliTests.Args("capture", "--out", _tmp, "--polls", "0"), o, e, CancellationToken.None));
        File.WriteAllText(Path.Combine(_tmp, "taken"), "");
        Assert.Equal(1, await CaptureCommand.ExecuteAsync(ReplayCliTests.Args("capture", "--out", _tmp), o, e, CancellationToken.None));
        Assert.Contains("not empty", e.ToString(), StringComparison.Ordinal);
    }

    private string ZoneOf(JsonDocument doc) =>
        doc.RootElement.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == _cgroup.ZoneId).GetRawText();

    /// <summary>Our zone's findings without `since` (the live check fires at its own clock, the replay at the recorded one).</summary>
    private List<string> FindingsOf(JsonDocument doc) =>
    [
        .. doc.RootElement.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("zone").GetString() == _cgroup.ZoneId)
            .Select(f => string.Join('|', f.GetProperty("rule").GetString(), f.GetProperty("severity").GetString(), f.GetProperty("summary").GetString(), f.GetProperty("evidence").GetRawText(), f.GetProperty("hints").GetRawText()))
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>A real v1 pids cgroup at its cap, with refused forks; killed and removed on dispose, even after a failure.</summary>
    private sealed class PidsCgroup : IDisposable
    {
        private const string Root = "/sys/fs/cgroup/pids";
        private readonly string _dir;
        private readonly System.Diagnostics.Process _shell;

        private PidsCgroup(string name, int max)
        {
            ZoneId = "/" + name;
            _dir = Path.Combine(Root, name);
            Directory.CreateDirectory(_dir);
            File.WriteAllText(Path.Combine(_dir, "pids.max"), max.ToString(CultureInfo.InvariantCulture));
            // The shell moves itself in, forks sleepers until the cap refuses one, then stays as a sleeper.
            // stderr to /dev/null: dash reports the refused fork ("Cannot fork") on the test host's stderr otherwise.
            var script = $"exec 2>/dev/null; echo $$ > {_dir}/cgroup.procs; i=0; while [ $i -lt {max + 4} ]; do /bin/sleep 300 & i=$((i+1)); done; exec /bin/sleep 300";
            _shell = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false })!;
            for (var i = 0; i < 500 && !File.ReadAllText(Path.Combine(_dir, "pids.events")).Trim().EndsWith(" 1", StringComparison.Ordinal) && !Full(max); i++)
            {
                Thread.Sleep(10);
            }

            // Settle: dash gives up (exits) at the first refused fork, leaving the zone one or more below its
            // cap; migrating a sleeper in is not a fork, so it tops the zone up to exactly its cap.
            Thread.Sleep(200);
            for (var i = 0; i < max && !Full(max); i++)
            {
                var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sleep", ["300"]) { UseShellExecute = false })!;
                File.WriteAllText(Path.Combine(_dir, "cgroup.procs"), sleeper.Id.ToString(CultureInfo.InvariantCulture));
                sleeper.Dispose();
            }
        }

        public string ZoneId { get; }

        public static PidsCgroup AtCapWithDenials() => new("lwpw-test-" + Guid.NewGuid().ToString("N")[..10], 4);

        public void Dispose()
        {
            for (var round = 0; round < 100; round++)
            {
                var procs = File.ReadAllText(Path.Combine(_dir, "cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (procs.Length == 0)
                {
                    break;
                }

                foreach (var p in procs)
                {
                    try
                    {
                        using var proc = System.Diagnostics.Process.GetProcessById(int.Parse(p, CultureInfo.InvariantCulture));
                        proc.Kill();
                    }
                    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                    {
                        // Exited meanwhile.
                    }
                }

                Thread.Sleep(20);
            }

            _shell.WaitForExit(5000);
            _shell.Dispose();
            Directory.Delete(_dir);
        }

        private bool Full(int max) =>
            long.Parse(File.ReadAllText(Path.Combine(_dir, "pids.current")).Trim(), CultureInfo.InvariantCulture) >= max;
    }
}
