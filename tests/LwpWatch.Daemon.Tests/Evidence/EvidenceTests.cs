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

    private EvidenceRecorder Recorder(EvidenceSettings? s = null, string? dir = null, ListLogger? log = null)
    {
        var settings = s ?? new EvidenceSettings();
        var options = new LwpWatchOptions { Evidence = settings };
        return new EvidenceRecorder(settings, new EvidenceGatherer(new LiveHostSource(new CommandRunner()), options), new EvidenceStore(dir ?? _dir, settings, TimeProvider.System), log);
    }

    private static RuleOutcome Outcome(Snapshot s, params Finding[] f) => new(s, [.. f], []);

    /// <summary>One poll as the pipeline runs it, then waits for the gathering it queued (the test needs the files).</summary>
    private static async Task<IReadOnlyDictionary<string, string>> Poll(EvidenceRecorder rec, RuleOutcome o, ZoneHistory h)
    {
        var ids = rec.Record(o, h);
        await rec.DrainAsync();
        return ids;
    }

    [Fact]
    public async Task New_critical_incident_gets_a_bundle_decided_in_the_poll_and_keeps_its_id()
    {
        var rec = Recorder();
        var s1 = Snap(0);
        var cap = Crit("/app.slice");
        var o1 = Outcome(s1, cap, Crit("/other.slice", "near-cap") with { Severity = Severity.Warning });
        var ids = await Poll(rec, o1, H(s1));
        var id = Assert.Single(ids).Value;
        Assert.Equal(cap.Fingerprint, Assert.Single(ids).Key); // warnings get none
        Assert.All(o1.Findings, f => Assert.DoesNotContain("evidence", f.Figures.Select(kv => kv.Key))); // findings are not rewritten

        var json = JsonDocument.Parse(rec.Store.TryRead(id)!).RootElement;
        Assert.Equal("cap-starvation", json.GetProperty("finding").GetProperty("rule").GetString());
        Assert.Equal("echo 60 > /sys/fs/cgroup/pids/app.slice/pids.max", json.GetProperty("finding").GetProperty("hints")[0].GetString());
        Assert.Equal(20, json.GetProperty("zone").GetProperty("lwpLimit").GetInt32());
        Assert.Equal(20, json.GetProperty("topHolders")[0].GetProperty("lwps").GetInt32());
        // The holder's pid does not exist: the bundle says so instead of failing.
        Assert.Equal("process exited", json.GetProperty("items")[0].GetProperty("error").GetString());

        var s2 = Snap(15);
        Assert.Equal(id, (await Poll(rec, Outcome(s2, Crit("/app.slice")), H(s1, s2)))[cap.Fingerprint]);
        Assert.Single(rec.Store.List());
        Assert.Equal(1, JsonDocument.Parse(rec.Store.TryRead(id)!).RootElement.GetProperty("usage").GetArrayLength()); // written once, in the poll it fired

        // Resolved, then back: a new episode, a new bundle.
        Assert.Empty(await Poll(rec, Outcome(Snap(30)), H(s1, s2)));
        Assert.NotEqual(id, (await Poll(rec, Outcome(Snap(45), Crit("/app.slice")), H(s1, s2)))[cap.Fingerprint]);
        Assert.Equal(2, rec.Store.List().Count);
    }

    [Fact]
    public async Task One_bundle_per_incident_its_symptoms_are_in_it_not_beside_it()
    {
        var rec = Recorder();
        var s = Snap(0);
        var cap = Crit("/app.slice");
        var ids = await Poll(rec, Outcome(s, cap, Crit("/app.slice", "near-cap"), Crit("/app.slice", "fork-denied")), H(s));
        Assert.Equal(cap.Fingerprint, Assert.Single(ids).Key);
        Assert.Single(rec.Store.List());
    }

    [Fact]
    public async Task At_most_maxPerPoll_per_poll_the_rest_next_poll()
    {
        var rec = Recorder(new EvidenceSettings { MaxPerPoll = 1 });
        var s = Snap(0);
        // Two incidents (different zones). The root cause goes first even though it is listed second.
        var ids = await Poll(rec, Outcome(s, Crit("/a", "near-cap"), Crit("/b")), H(s));
        Assert.Equal(Crit("/b").Fingerprint, Assert.Single(ids).Key);
        Assert.Equal(2, (await Poll(rec, Outcome(Snap(15), Crit("/a", "near-cap"), Crit("/b")), H(s))).Count);
    }

    [Fact]
    public async Task Two_incidents_whose_ids_hash_alike_get_two_bundles()
    {
        // Found by brute force over "cap-starvation|/t<i>" at T0: the 40-bit id hash of these two collides, as a
        // tenant could arrange with its cgroup names. Neither bundle may overwrite the other.
        var a = Crit("/t148816");
        var b = Crit("/t908315");
        Assert.Equal(EvidenceStore.NewId(T0, a.Rule, a.Fingerprint), EvidenceStore.NewId(T0, b.Rule, b.Fingerprint));
        var rec = Recorder();
        var s = Snap(0);
        var ids = await Poll(rec, Outcome(s, a, b), H(s));
        Assert.Equal(2, ids.Values.Distinct().Count());
        Assert.Equal(2, rec.Store.List().Count);
        Assert.All(ids.Values, id => Assert.True(EvidenceStore.IsValidId(id), id));
    }

    [Fact]
    public async Task Unwritable_spool_is_logged_counted_not_thrown_and_tried_again()
    {
        // The state dir is a regular file, so <state>/evidence cannot be created: unwritable even for root,
        // which these tests run as (a chmod would not stop root).
        var file = Path.Combine(_dir, "not-a-dir");
        await File.WriteAllTextAsync(file, "x");
        var log = new ListLogger();
        var rec = Recorder(dir: file, log: log);
        var s = Snap(0);
        await Poll(rec, Outcome(s, Crit("/app.slice")), H(s));
        Assert.Empty(rec.Ids);
        Assert.Contains("not saved", rec.LastError, StringComparison.Ordinal);
        Assert.Equal(1, rec.SaveFailures);
        var line = Assert.Single(log.WithId(1700));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, line.Level);
        Assert.Equal("EvidenceSaveFailed", line.EventId.Name);
        Assert.Equal(Crit("/app.slice").Fingerprint, line.Properties["Fingerprint"]);
        Assert.Equal(Path.Combine(file, "evidence"), line.Properties["Dir"]);

        Assert.Single(rec.Record(Outcome(Snap(15), Crit("/app.slice")), H(s))); // the next poll tries again
        await rec.DrainAsync();
        Assert.Equal(2, rec.SaveFailures);
        Assert.Equal(2, log.WithId(1700).Count);
    }

    [Fact]
    public async Task A_saved_bundle_logs_no_failure_and_counts_none()
    {
        var log = new ListLogger();
        var rec = Recorder(log: log);
        var s = Snap(0);
        await Poll(rec, Outcome(s, Crit("/app.slice")), H(s));
        Assert.Single(rec.Store.List());
        Assert.Equal(0, rec.SaveFailures);
        Assert.Empty(log.WithId(1700));
    }

    [Fact]
    public async Task A_hung_tool_never_holds_the_poll()
    {
        // The illumos gatherer runs svcs -xv; here it never answers until released (a hung svc.configd).
        var gate = new TaskCompletionSource();
        var settings = new EvidenceSettings { Budget = TimeSpan.FromMinutes(5) };
        var rec = new EvidenceRecorder(settings, new EvidenceGatherer(new GatedRuns(gate.Task), new LwpWatchOptions { Evidence = settings }), new EvidenceStore(_dir, settings, TimeProvider.System));
        var s = Snap(0) with { Platform = "illumos" };
        var f = Crit("/app.slice") with { Service = "svc:/system/filesystem/local:default" };

        var ids = rec.Record(Outcome(s, f), H(s));

        Assert.Single(ids); // decided at once: the alert can name the bundle in its first notification
        Assert.False(rec.DrainAsync().IsCompleted);
        // Another poll meanwhile: nothing waits, the id is kept, nothing is gathered twice.
        Assert.Equal(ids, rec.Record(Outcome(Snap(15) with { Platform = "illumos" }, f), H(s)));
        gate.SetResult();
        await rec.DrainAsync();
        Assert.Single(rec.Store.List());
    }

    [Fact]
    public async Task Bundles_are_gathered_two_at_a_time()
    {
        // Five incidents start in one poll; each illumos bundle runs svcs -xv, held here until released.
        var gate = new TaskCompletionSource();
        var settings = new EvidenceSettings { Budget = TimeSpan.FromMinutes(5), MaxPerPoll = 5 };
        var host = new GatedRuns(gate.Task);
        var rec = new EvidenceRecorder(settings, new EvidenceGatherer(host, new LwpWatchOptions { Evidence = settings }), new EvidenceStore(_dir, settings, TimeProvider.System));
        var s = Snap(0) with { Platform = "illumos" };
        var findings = Enumerable.Range(0, 5).Select(i => Crit("/z" + i) with { Service = "svc:/system/filesystem/local:default" }).ToArray();

        Assert.Equal(5, rec.Record(Outcome(s, findings), H(s)).Count);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (host.Started < EvidenceRecorder.GatherConcurrency && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        // Unbounded, all five would be waiting on the gate by now (they start together); bounded, two are.
        await Task.Delay(300);
        Assert.Equal(EvidenceRecorder.GatherConcurrency, host.Started);
        gate.SetResult();
        await rec.DrainAsync();
        Assert.Equal(5, rec.Store.List().Count);
        Assert.Equal(5, host.Started);
        Assert.Equal(EvidenceRecorder.GatherConcurrency, host.MaxInFlight);
    }

    /// <summary>A host whose tool runs wait for <paramref name="gate"/>; reads are the live ones.</summary>
    private sealed class GatedRuns(Task gate) : IHostSource
    {
        private int _started;
        private int _inFlight;
        private int _maxInFlight;

        public int Started => Volatile.Read(ref _started);

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        private readonly LiveHostSource _live = new(new CommandRunner());

        public string? ReadText(string path) => _live.ReadText(path);

        public byte[]? ReadBytes(string path, int maxBytes) => _live.ReadBytes(path, maxBytes);

        public IReadOnlyList<string> ListDirectories(string path) => _live.ListDirectories(path);

        public IReadOnlyList<string> ListEntries(string path) => _live.ListEntries(path);

        public bool FileExists(string path) => _live.FileExists(path);

        public bool DirectoryExists(string path) => _live.DirectoryExists(path);

        public DateTimeOffset? GetModifiedTime(string path) => _live.GetModifiedTime(path);

        public async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }

            try
            {
                await gate.WaitAsync(cancellationToken);
                return new CommandResult { Argv = [.. argv], ExitCode = 0 };
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public Task<LwpWatch.Collectors.Bus.BusReply> CallBusAsync(LwpWatch.Collectors.Bus.BusCall call, TimeSpan timeout, CancellationToken cancellationToken) =>
            _live.CallBusAsync(call, timeout, cancellationToken);
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
