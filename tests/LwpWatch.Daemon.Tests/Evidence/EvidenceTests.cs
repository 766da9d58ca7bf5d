using System.Collections.Immutable;
using System.Text.Json;
using LwpWatch.Collectors.Evidence;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Evidence;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Evidence;

public sealed class EvidenceTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
    private readonly string _dir = TestTools.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ZoneHistory H(params Snapshot[] polls) => ZoneHistory.Of(polls, TimeSpan.MaxValue);

    private static Snapshot Snap(double t, params Finding[] _) => new()
    {
        TakenAt = T0.AddSeconds(t),
        Host = "h",
        Platform = "linux",
        Zones = [new Zone { Id = "/app.slice", Kind = ZoneKind.Cgroup, Name = "app.slice", Lwps = 20, LwpLimit = 20, Denials = 31 }],
        TopHolders = [new ThreadHolder("/app.slice", 999_999_999, "spawn", "spawn 50", 20)],
    };

    private static Finding Crit(string zone, string rule = "cap-starvation") => new()
    {
        Rule = rule,
        ZoneId = zone,
        Severity = Severity.Critical,
        Since = T0,
        Summary = "out of threads",
        Hints = [Hint.WriteFile(rule, zone, HintEffect.Live, ShellWord.CgroupPath("/sys/fs/cgroup/pids/app.slice/pids.max"), ShellWord.Number(60))],
    };

    private EvidenceRecorder Recorder(EvidenceSettings? s = null, string? dir = null)
    {
        var settings = s ?? new EvidenceSettings();
        var options = new LwpWatchOptions { Evidence = settings };
        return new EvidenceRecorder(settings, new EvidenceGatherer(new LiveHostSource(new CommandRunner()), options), new EvidenceStore(dir ?? _dir, settings, TimeProvider.System));
    }

    private static RuleOutcome Outcome(Snapshot s, params Finding[] f) => new(s, [.. f], []);

    [Fact]
    public async Task New_critical_finding_gets_a_bundle_in_the_same_poll_and_keeps_its_id()
    {
        var rec = Recorder();
        var s1 = Snap(0);
        var o1 = await rec.AttachAsync(Outcome(s1, Crit("/app.slice"), Crit("/app.slice", "near-cap") with { Severity = Severity.Warning }), H(s1), CancellationToken.None);
        var id = Assert.Single(o1.Findings, f => f.Rule == "cap-starvation").EvidenceId;
        Assert.NotNull(id);
        Assert.Null(Assert.Single(o1.Findings, f => f.Rule == "near-cap").EvidenceId); // warnings get none

        var json = JsonDocument.Parse(rec.Store.TryRead(id!)!).RootElement;
        Assert.Equal("cap-starvation", json.GetProperty("finding").GetProperty("rule").GetString());
        Assert.Equal("echo 60 > /sys/fs/cgroup/pids/app.slice/pids.max", json.GetProperty("finding").GetProperty("hints")[0].GetString());
        Assert.Equal(20, json.GetProperty("zone").GetProperty("lwpLimit").GetInt32());
        Assert.Equal(20, json.GetProperty("topHolders")[0].GetProperty("lwps").GetInt32());
        // The holder's pid does not exist: the bundle says so instead of failing.
        Assert.Equal("process exited", json.GetProperty("items")[0].GetProperty("error").GetString());

        var s2 = Snap(15);
        var o2 = await rec.AttachAsync(Outcome(s2, Crit("/app.slice")), H(s1, s2), CancellationToken.None);
        Assert.Equal(id, Assert.Single(o2.Findings).EvidenceId);
        Assert.Single(rec.Store.List());
        Assert.Equal(1, JsonDocument.Parse(rec.Store.TryRead(id!)!).RootElement.GetProperty("usage").GetArrayLength()); // written once, in the poll it fired

        // Resolved, then back: a new episode, a new bundle.
        await rec.AttachAsync(Outcome(Snap(30)), H(s1, s2), CancellationToken.None);
        var o4 = await rec.AttachAsync(Outcome(Snap(45), Crit("/app.slice")), H(s1, s2), CancellationToken.None);
        Assert.NotEqual(id, Assert.Single(o4.Findings).EvidenceId);
        Assert.Equal(2, rec.Store.List().Count);
    }

    [Fact]
    public async Task At_most_maxPerPoll_per_poll_the_rest_next_poll()
    {
        var rec = Recorder(new EvidenceSettings { MaxPerPoll = 1 });
        var s = Snap(0);
        var o1 = await rec.AttachAsync(Outcome(s, Crit("/a", "near-cap"), Crit("/b")), H(s), CancellationToken.None);
        // The root cause goes first even though it is listed second.
        Assert.NotNull(Assert.Single(o1.Findings, f => f.EvidenceId is not null && f.Rule == "cap-starvation").EvidenceId);
        var o2 = await rec.AttachAsync(Outcome(Snap(15), Crit("/a", "near-cap"), Crit("/b")), H(s), CancellationToken.None);
        Assert.Equal(2, o2.Findings.Count(f => f.EvidenceId is not null));
    }

    [Fact]
    public async Task Unwritable_spool_is_reported_not_thrown()
    {
        var file = Path.Combine(_dir, "not-a-dir");
        await File.WriteAllTextAsync(file, "x");
        var rec = Recorder(dir: file);
        var s = Snap(0);
        var o = await rec.AttachAsync(Outcome(s, Crit("/app.slice")), H(s), CancellationToken.None);
        Assert.Null(Assert.Single(o.Findings).EvidenceId);
        Assert.Contains("not saved", rec.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void Store_prunes_by_count_and_age_and_rejects_bad_ids()
    {
        var now = DateTimeOffset.UtcNow; // ages are by file write time, which is the real clock's
        var clock = new FixedClock(now);
        var store = new EvidenceStore(_dir, new EvidenceSettings { MaxBundles = 3, MaxAge = TimeSpan.FromDays(1) }, clock);
        var old = EvidenceStore.NewId(T0.AddDays(-2), "cap-starvation", "x");
        store.Save(old, "{}"u8.ToArray());
        Assert.Equal([old], store.List()); // a replayed (old) poll time, but written now: kept
        File.SetLastWriteTimeUtc(Path.Combine(store.Dir, old + ".json"), now.AddDays(-2).UtcDateTime);
        var ids = Enumerable.Range(0, 5).Select(i => EvidenceStore.NewId(T0.AddMinutes(i), "cap-starvation", "f" + i)).ToList();
        foreach (var id in ids)
        {
            store.Save(id, "{}"u8.ToArray());
        }

        Assert.Equal(ids[2..], store.List()); // the one written 2 days ago went by age, two more by count
        Assert.Null(store.TryRead("../../etc/passwd"));
        Assert.Null(store.TryRead(ids[0]));
        Assert.Equal("{}", store.TryRead(ids[4]));
        Assert.Throws<ArgumentException>(() => store.Save("../x", []));
    }

    [Fact]
    public void An_id_with_a_trailing_newline_or_other_suffix_is_not_an_id()
    {
        var store = new EvidenceStore(_dir, new EvidenceSettings(), new FixedClock(T0));
        var id = EvidenceStore.NewId(T0, "fork-denied", "x");
        Assert.True(EvidenceStore.IsValidId(id));
        store.Save(id, "{}"u8.ToArray());
        foreach (var bad in new[] { id + "\n", id + "\r\n", id + "\n\n", "\n" + id, id + "\u2028", id + " " })
        {
            Assert.False(EvidenceStore.IsValidId(bad), bad);
            Assert.Null(store.TryRead(bad));
            Assert.Throws<ArgumentException>(() => store.Save(bad, "{}"u8.ToArray()));
        }

        Assert.Equal([id], store.List());
    }

    [Fact]
    public void Unit_object_path_is_sd_bus_escaped()
    {
        Assert.Equal("/org/freedesktop/systemd1/unit/stuck_2dnotify_2eservice", EvidenceGatherer.UnitObjectPath("stuck-notify.service"));
        Assert.Equal("/org/freedesktop/systemd1/unit/_2d_2eslice", EvidenceGatherer.UnitObjectPath("-.slice"));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
