using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using LwpWatch.Collectors.Capture;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Capture;

/// <summary>examples/triton-fs-local-stuck read by the real illumos collectors through ReplayHostSource, as on a node.</summary>
public sealed class TritonExampleTests : IDisposable
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";
    private const string Web = "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e";
    private readonly string _tmp = Directory.CreateTempSubdirectory("lwpw-test-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private static async Task<List<Snapshot>> ReplayAsync(string bundle, Func<LwpWatch.Collectors.Io.IHostSource, LwpWatch.Collectors.Io.IHostSource>? wrap = null)
    {
        var replay = new BundleReplay(BundleReader.Open(bundle));
        var collectors = CollectorFactory.Create(replay.Reader.Platform, new LwpWatchOptions(), wrap is null ? replay.Source : wrap(replay.Source));
        var poller = new Poller(collectors, replay.Clock, replay.Reader.Host, replay.Reader.Platform, TimeSpan.FromSeconds(30));
        var snapshots = new List<Snapshot>();
        foreach (var p in replay.Reader.Polls)
        {
            replay.MoveTo(p.Number);
            snapshots.Add(await poller.PollAsync(CancellationToken.None));
        }

        return snapshots;
    }

    [Fact]
    public async Task EveryPollReplaysThroughTheIllumosCollectors()
    {
        var reader = BundleReader.Open(Repo.TritonExample);
        Assert.Equal("illumos", reader.Platform);
        Assert.True(reader.Polls.Length >= 8);
        for (var i = 1; i < reader.Polls.Length; i++)
        {
            Assert.Equal(TimeSpan.FromSeconds(30), reader.Polls[i].TakenAt - reader.Polls[i - 1].TakenAt);
        }

        var snapshots = await ReplayAsync(Repo.TritonExample);
        foreach (var s in snapshots)
        {
            Assert.Equal(["illumos-zones", "illumos-kstat", "illumos-caps", "illumos-psinfo", "illumos-svcs"], s.Collectors.Select(c => c.Name));
            Assert.All(s.Collectors, c => Assert.True(c.Success, $"{s.TakenAt:O} {c.Name}: {c.Error}"));
            Assert.Empty(s.Warnings);
            Assert.Equal(["global", Web, Sick], s.Zones.Select(z => z.Id));
        }

        // The zone fills up, and forks start failing as it nears the cap.
        var lwps = snapshots.Select(s => s.FindZone(Sick)!.Lwps).ToList();
        Assert.Equal(lwps.Order(), lwps);
        var denials = snapshots.Select(s => s.FindZone(Sick)!.Denials).ToList();
        Assert.Equal(denials.Order(), denials);
        Assert.Equal(0, denials[0]);

        var last = snapshots[^1];
        var sick = last.FindZone(Sick)!;
        Assert.Equal("delegate-test-7", sick.Name);
        Assert.Equal(398, sick.Lwps);
        Assert.Equal(400, sick.LwpLimit);
        Assert.Equal(1734, sick.Denials);
        Assert.Equal(7, sick.Processes);
        Assert.Equal(400, sick.ProcessLimit); // the boot-time cap, as the kernel enforces it
        Assert.Equal("web-frontend-1", last.FindZone(Web)!.Name);
        Assert.Equal(2000, last.FindZone(Web)!.LwpLimit);
        Assert.Null(last.FindZone("global")!.LwpLimit);

        var holders = last.HoldersOf(Sick).ToList();
        Assert.Equal(["zfs", "zfs"], holders.Take(2).Select(h => h.Command));
        Assert.Equal(366, holders.Take(2).Sum(h => h.Lwps));

        var p = Assert.Single(last.Provisions);
        Assert.Equal((Sick, "provisioning", true), (p.ZoneId, p.VmState, p.MarkerPresent));
        Assert.Equal(p.MarkerSince!.Value.AddSeconds(298), p.Deadline); // creation + 300 s; marker written 2 s in
        Assert.True(p.Deadline > last.TakenAt);

        var fsLocal = Assert.Single(last.Services, x => x.ZoneId == Sick && x.Name == "svc:/system/filesystem/local:default");
        Assert.True(fsLocal.InTransition);
        Assert.Equal(("offline", "online"), (fsLocal.State, fsLocal.NextState));
        Assert.True(last.TakenAt - fsLocal.StateSince >= TimeSpan.FromMinutes(3));
        Assert.DoesNotContain(last.Services, x => x.ZoneId != Sick && x.InTransition);
    }

    [Fact]
    public async Task EveryPollForksZoneadmTwoKstatsAndSvcsNothingElse()
    {
        var runs = new List<List<string>>();
        await ReplayAsync(Repo.TritonExample, inner => new Counting(inner, runs));
        var reader = BundleReader.Open(Repo.TritonExample);
        // Counting is cumulative: every poll adds exactly the same four argv.
        Assert.Equal(reader.Polls.Length * 4, runs.Count);
        for (var i = 0; i < runs.Count; i += 4)
        {
            string[][] expected = [["zoneadm", "list", "-pc"], ["kstat", "-p", "zones:::"], ["kstat", "-p", "caps:::"], ["svcs", "-Z", "-a", "-H", "-o", "zone,state,nstate,stime,fmri"]];
            Assert.Equal(expected, runs.Skip(i).Take(4).Select(r => r.ToArray()).ToArray());
        }
    }

    [Fact]
    public void TheBundleHoldsNoVmadmOrPrctlRunAndTheZoneXmlOfEveryVm()
    {
        foreach (var poll in Directory.EnumerateDirectories(Path.Combine(Repo.TritonExample, "polls")))
        {
            var argv0 = JsonNode.Parse(File.ReadAllText(Path.Combine(poll, "commands.json")))!.AsArray().Select(c => (string)c!["argv"]![0]!).ToList();
            Assert.DoesNotContain(argv0, a => a is "vmadm" or "prctl" or "tail");
            Assert.True(File.Exists(Path.Combine(poll, "files", "etc", "zones", Sick + ".xml")));
            Assert.True(File.Exists(Path.Combine(poll, "files", "etc", "zones", Web + ".xml")));
        }
    }

    [Fact]
    public async Task ABundleWhereVmadmWouldFailStillHasCapsForEveryZone()
    {
        // What a real node answers to the argv the old design ran: every poll records it failing. Nothing asks.
        var copy = Path.Combine(_tmp, "vmadm-fails");
        Repo.Copy(Repo.TritonExample, copy);
        foreach (var poll in Directory.EnumerateDirectories(Path.Combine(copy, "polls")))
        {
            var file = Path.Combine(poll, "commands.json");
            var array = JsonNode.Parse(File.ReadAllText(file))!.AsArray();
            array.Add(JsonNode.Parse("""{"argv":["vmadm","list","-p","-o","uuid,state,zone_state,max_lwps,zonepath,transition_expire,alias"],"exitCode":1,"stdout":"","stderr":"invalid order field: transition_expire\n","durationMs":900}"""));
            File.WriteAllText(file, array.ToJsonString());
        }

        var last = (await ReplayAsync(copy))[^1];
        Assert.All(last.Collectors, c => Assert.True(c.Success, c.Name + ": " + c.Error));
        Assert.Equal(400, last.FindZone(Sick)!.LwpLimit);
        Assert.Equal(2000, last.FindZone(Web)!.LwpLimit);
        Assert.Equal("delegate-test-7", last.FindZone(Sick)!.Name);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1757322592000), Assert.Single(last.Provisions).Deadline);
    }

    [Fact]
    public async Task AnOlderBundleWithoutZoneXmlReplaysWithEachZonesCapUnknownAndSaysWhy()
    {
        // Bundles recorded before the collector read /etc/zones (they hold a vmadm run instead).
        var copy = Path.Combine(_tmp, "no-xml");
        Repo.Copy(Repo.TritonExample, copy);
        foreach (var poll in Directory.EnumerateDirectories(Path.Combine(copy, "polls")))
        {
            Directory.Delete(Path.Combine(poll, "files", "etc"), recursive: true);
            var index = Path.Combine(poll, "files.json");
            var array = JsonNode.Parse(File.ReadAllText(index))!.AsArray();
            foreach (var e in array.Where(e => ((string)e!["path"]!).StartsWith("/etc/zones/", StringComparison.Ordinal)).ToList())
            {
                array.Remove(e);
            }

            File.WriteAllText(index, array.ToJsonString());
        }

        var last = (await ReplayAsync(copy))[^1];
        Assert.True(last.Collectors.Single(c => c.Name == "illumos-caps").Success);
        Assert.Null(last.FindZone(Sick)!.LwpLimit);
        Assert.Equal(398, last.FindZone(Sick)!.Lwps);
        Assert.Contains(last.Warnings, w => w.StartsWith($"zone {Sick}: /etc/zones/{Sick}.xml: ", StringComparison.Ordinal) && w.Contains("was not recorded", StringComparison.Ordinal));
        Assert.Contains(last.Warnings, w => w.StartsWith($"zone {Web}: ", StringComparison.Ordinal));
    }

    private sealed class Counting(LwpWatch.Collectors.Io.IHostSource inner, List<List<string>> runs) : LwpWatch.Collectors.Io.IHostSource
    {
        public string? ReadText(string path) => inner.ReadText(path);

        public byte[]? ReadBytes(string path, int maxBytes) => inner.ReadBytes(path, maxBytes);

        public IReadOnlyList<string> ListDirectories(string path) => inner.ListDirectories(path);

        public IReadOnlyList<string> ListEntries(string path) => inner.ListEntries(path);

        public bool FileExists(string path) => inner.FileExists(path);

        public bool DirectoryExists(string path) => inner.DirectoryExists(path);

        public DateTimeOffset? GetModifiedTime(string path) => inner.GetModifiedTime(path);

        public Task<LwpWatch.Collectors.Process.CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
        {
            runs.Add([.. argv]);
            return inner.RunAsync(argv, timeout, cancellationToken);
        }

        public Task<LwpWatch.Collectors.Bus.BusReply> CallBusAsync(LwpWatch.Collectors.Bus.BusCall call, TimeSpan timeout, CancellationToken cancellationToken) =>
            inner.CallBusAsync(call, timeout, cancellationToken);
    }

    [Fact]
    public async Task EvidenceOfTheStuckServiceReplaysFromTheBundle()
    {
        var snapshots = await ReplayAsync(Repo.TritonExample);
        var replay = new BundleReplay(BundleReader.Open(Repo.TritonExample));
        replay.MoveTo(replay.Reader.Polls.Length);
        var finding = new Core.Rules.Finding
        {
            Rule = "cap-starvation",
            ZoneId = Sick,
            Service = "svc:/system/filesystem/local:default",
            Severity = Severity.Critical,
            Since = snapshots[^1].TakenAt,
            Summary = "test",
        };

        var items = await new LwpWatch.Collectors.Evidence.EvidenceGatherer(replay.Source, new LwpWatchOptions()).GatherAsync(finding, snapshots[^1], TimeSpan.FromSeconds(10), CancellationToken.None);

        Assert.All(items, i => Assert.True(i.Error is null, $"{i.Title}: {i.Error}"));
        var svcs = Assert.Single(items, i => i.Title == "svcs -xv");
        var explained = Assert.Single(LwpWatch.Collectors.Illumos.SvcsExplainParser.Parse(svcs.Text, string.Join(' ', svcs.Argv)));
        Assert.Equal(("offline", Sick), (explained.State, explained.Zone));
        var log = Assert.Single(items, i => i.Title == "service log tail");
        Assert.Equal(explained.See[1], log.Path);
        Assert.Contains("Resource temporarily unavailable", log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(items, i => i.Argv.Length > 0 && i.Argv[0] == "tail");
    }

    [Fact]
    public async Task ACommandMissingFromTheBundleFailsOnlyItsCollector()
    {
        var copy = Path.Combine(_tmp, "bundle");
        Repo.Copy(Repo.TritonExample, copy);
        var commands = Path.Combine(copy, "polls", "0008", "commands.json");
        var array = JsonNode.Parse(File.ReadAllText(commands))!.AsArray();
        array.Remove(array.Single(c => (string)c!["argv"]![0]! == "svcs" && (string)c["argv"]![1]! == "-Z"));
        File.WriteAllText(commands, array.ToJsonString());
        File.Delete(Path.Combine(copy, "polls", "0008", "files", "proc", "3400", "psinfo"));

        var last = (await ReplayAsync(copy))[^1];

        var svcs = last.Collectors.Single(c => c.Name == "illumos-svcs");
        Assert.False(svcs.Success);
        Assert.Contains("command 'svcs -Z -a -H -o zone,state,nstate,stime,fmri'", svcs.Error, StringComparison.Ordinal);
        Assert.Contains("was not recorded", svcs.Error, StringComparison.Ordinal);
        var psinfo = last.Collectors.Single(c => c.Name == "illumos-psinfo");
        Assert.False(psinfo.Success);
        Assert.Contains("file /proc/3400/psinfo was not recorded", psinfo.Error, StringComparison.Ordinal);
        Assert.Equal(400, last.FindZone(Sick)!.LwpLimit);
        Assert.Equal(1734, last.FindZone(Sick)!.Denials);
    }

    [Fact]
    public void TheExampleIsExactlyWhatItsGeneratorWrites()
    {
        var fresh = Path.Combine(_tmp, "fresh");
        var psi = new ProcessStartInfo("python3") { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(Repo.Root, "examples", "generate-triton.py"));
        psi.ArgumentList.Add(fresh);
        using (var proc = System.Diagnostics.Process.Start(psi)!)
        {
            var err = proc.StandardError.ReadToEnd();
            Assert.True(proc.WaitForExit(60_000), "generator did not finish");
            Assert.True(proc.ExitCode == 0, err);
        }

        var expected = Files(Repo.TritonExample);
        var actual = Files(fresh);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (path, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[path]), $"{path} differs from a fresh run of examples/generate-triton.py");
        }
    }

    private static SortedDictionary<string, byte[]> Files(string root)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            result[Path.GetRelativePath(root, f)] = File.ReadAllBytes(f);
        }

        return result;
    }
}
