using System.Text.Json.Nodes;
using LwpWatch.Collectors.Capture;
using LwpWatch.Collectors.Illumos;
using LwpWatch.Collectors.Tests.Illumos;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Capture;

/// <summary>
/// A capture of an illumos node records the zone XML files the caps collector reads, like every other file: the
/// files are real ones on this machine (zone config dir, /proc psinfo, the provisioning marker, read by the live
/// source), the tools' output canned. Replaying the bundle gives the same caps, aliases and deadline, with no
/// vmadm or prctl anywhere in it.
/// </summary>
public sealed class IllumosCaptureReplayTests : IDisposable
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";
    private const string Web = "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e";
    private static readonly DateTimeOffset Now = new(2025, 9, 8, 9, 10, 0, TimeSpan.Zero);
    private readonly string _root = Directory.CreateTempSubdirectory("lwpw-illumos-capture-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string ZoneConfigDir => Path.Combine(_root, "etc", "zones");

    private string ProcRoot => Path.Combine(_root, "proc");

    private LwpWatchOptions Options => new()
    {
        Illumos = new IllumosSettings { ZoneConfigDir = ZoneConfigDir, ProcRoot = ProcRoot, ZonesRoot = _root, TopHolders = 2 },
    };

    private LiveFilesFakeTools Node()
    {
        Directory.CreateDirectory(ZoneConfigDir);
        File.WriteAllBytes(Path.Combine(ZoneConfigDir, Sick + ".xml"), IllumosCollectorsTests.SickXml());
        File.WriteAllBytes(Path.Combine(ZoneConfigDir, Web + ".xml"), IllumosCollectorsTests.WebXml());
        foreach (var (pid, zone, nlwp, fname, args) in new[] { (1, 0, 1, "init", "/sbin/init"), (20958, 12, 1, "init", "/sbin/init"), (20990, 12, 199, "zfs", "/usr/sbin/zfs mount -a"), (20991, 12, 198, "zfs", "/usr/sbin/zfs mount zones/x/data"), (3100, 1, 12, "node", "node server.js") })
        {
            var dir = Path.Combine(ProcRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, "psinfo"), PsinfoParserTests.Build(pid, zone, nlwp, fname, args));
        }

        var marker = Path.Combine(_root, "zones", Sick, "root", "var", "svc", "provisioning");
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllText(marker, "");
        File.SetLastWriteTimeUtc(marker, Now.AddMinutes(-5).UtcDateTime);
        return new LiveFilesFakeTools(new FakeHostSource()
            .Command(ZoneadmCollector.Argv, Fixture.Text("illumos/zoneadm-list-pc.txt"))
            .Command(KstatCollector.ZonesArgv, Fixture.Text("illumos/kstat-zones.txt"))
            .Command(KstatCollector.CapsArgv, Fixture.Text("illumos/kstat-caps.txt"))
            .Command(SvcsCollector.Argv, Fixture.Text("illumos/svcs-Z-o.txt")));
    }

    private async Task<Snapshot> PollAsync(LwpWatch.Collectors.Io.IHostSource io, TimeProvider clock) =>
        await new Poller(CollectorFactory.Create(CollectorFactory.Illumos, Options, io), clock, "cn", "illumos", TimeSpan.FromSeconds(30)).PollAsync(CancellationToken.None);

    private static object Shape(Snapshot s) => string.Join(";", s.Zones.Select(z => $"{z.Id}|{z.Name}|{z.Lwps}|{z.LwpLimit}|{z.Processes}|{z.ProcessLimit}|{z.Denials}"))
        + "#" + string.Join(";", s.Provisions.Select(p => $"{p.ZoneId}|{p.VmState}|{p.MarkerPresent}|{p.MarkerSince:O}|{p.Deadline:O}"));

    [Fact]
    public async Task TheZoneXmlIsRecordedAndTheReplayHasTheSameCapsAliasesAndDeadline()
    {
        var recorder = new RecordingHostSource(Node());
        var live = await PollAsync(recorder, new Fixed(Now));
        Assert.All(live.Collectors, c => Assert.True(c.Success, c.Name + ": " + c.Error));
        Assert.Equal(("delegate-test-7", 400L, 398L), (live.FindZone(Sick)!.Name, live.FindZone(Sick)!.LwpLimit, live.FindZone(Sick)!.Lwps));
        Assert.Equal(("web-frontend-1", 2000L), (live.FindZone(Web)!.Name, live.FindZone(Web)!.LwpLimit));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1757322592000), Assert.Single(live.Provisions).Deadline);

        var bundle = Path.Combine(_root, "bundle");
        BundleWriter.Create(bundle, "illumos", "cn").WritePoll(Now, recorder.TakeRecording());
        var poll = Path.Combine(bundle, "polls", "0001");
        Assert.Equal(File.ReadAllBytes(Path.Combine(ZoneConfigDir, Sick + ".xml")), File.ReadAllBytes(Path.Combine(poll, "files") + ZoneConfigDir + "/" + Sick + ".xml"));
        Assert.True(File.Exists(Path.Combine(poll, "files") + ZoneConfigDir + "/" + Web + ".xml"));
        var argv0 = JsonNode.Parse(File.ReadAllText(Path.Combine(poll, "commands.json")))!.AsArray().Select(c => (string)c!["argv"]![0]!).ToList();
        Assert.Equal(["zoneadm", "kstat", "kstat", "svcs"], argv0);

        // The node is gone: the replay reads only the bundle.
        Directory.Delete(ZoneConfigDir, recursive: true);
        Directory.Delete(ProcRoot, recursive: true);
        var replay = new BundleReplay(BundleReader.Open(bundle));
        replay.MoveTo(1);
        var replayed = await PollAsync(replay.Source, replay.Clock);
        Assert.All(replayed.Collectors, c => Assert.True(c.Success, c.Name + ": " + c.Error));
        Assert.Equal(Shape(live), Shape(replayed));
        Assert.True(live.Warnings.SequenceEqual(replayed.Warnings), "live:\n" + string.Join("\n", live.Warnings) + "\nreplayed:\n" + string.Join("\n", replayed.Warnings));
    }

    private sealed class Fixed(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
