using System.Diagnostics;
using System.Text;
using LwpWatch.Collectors.Evidence;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using Xunit;

namespace LwpWatch.Collectors.Tests.Evidence;

/// <summary>
/// The service log named by <c>svcs -xv</c> comes from the zone's own SMF repository: a tenant chooses it, and owns
/// every directory below the zone root. On a real file system (this one), the daemon must read only
/// &lt;zonepath&gt;/root/var/svc/log/&lt;name&gt;.log, without following a symlink anywhere below the zone root,
/// without hanging on a FIFO, with a byte cap, in process (no tool run as root on that path).
/// </summary>
public sealed class ServiceLogTailTests : IDisposable
{
    private const string Zone = "7e2f1c6a-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
    private const string Fmri = "svc:/site/app:default";
    private readonly string _root = Directory.CreateTempSubdirectory("lwpw-logtail-").FullName;

    public ServiceLogTailTests()
    {
        Directory.CreateDirectory(LogDir);
        File.WriteAllText(Path.Combine(_root, "secret.log"), "root:$6$not-for-evidence\n");
    }

    private string ZoneRoot => Path.Combine(_root, "zones", Zone, "root");

    private string LogDir => Path.Combine(ZoneRoot, "var", "svc", "log");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string SeeLine(string path) =>
        $"{Fmri} (app)\n  Zone: {Zone}\n State: offline since Mon Sep 08 09:04:52 2025\nReason: Start method is running.\n   See: {path}\nImpact: This service is not running.\n";

    private async Task<EvidenceItem> TailAsync(string seePath, EvidenceSettings? evidence = null)
    {
        var io = new LiveFilesFakeTools(new FakeHostSource().Command(["svcs", "-xv", "-z", Zone, Fmri], SeeLine(seePath)));
        var options = new LwpWatchOptions { Illumos = new IllumosSettings { ZonesRoot = _root }, Evidence = evidence ?? new EvidenceSettings() };
        var snapshot = new Snapshot
        {
            TakenAt = DateTimeOffset.UnixEpoch,
            Host = "cn",
            Platform = "illumos",
            Zones = [new Zone { Id = Zone, Kind = ZoneKind.IllumosZone, Name = Zone, ZonePath = "/zones/" + Zone }],
        };
        var finding = new Finding { Rule = "cap-starvation", ZoneId = Zone, Service = Fmri, Severity = Severity.Critical, Since = snapshot.TakenAt, Summary = "t" };
        var items = await new EvidenceGatherer(io, options).GatherAsync(finding, snapshot, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.DoesNotContain(io.Runs, r => r[0] != "svcs");
        return Assert.Single(items, i => i.Title == "service log tail");
    }

    [Fact]
    public async Task TheZonesOwnLogIsReadInProcessAndCutToItsLastLines()
    {
        File.WriteAllText(Path.Combine(LogDir, "site-app:default.log"), string.Concat(Enumerable.Range(1, 80).Select(i => $"line {i}\n")));
        var item = await TailAsync($"/zones/{Zone}/root/var/svc/log/site-app:default.log");
        Assert.Null(item.Error);
        Assert.Equal(string.Concat(Enumerable.Range(31, 50).Select(i => $"line {i}\n")), item.Text);
        Assert.True(item.Truncated);
        Assert.Empty(item.Argv);
    }

    [Fact]
    public async Task ALogThatIsASymlinkIsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(LogDir, "site-app:default.log"), Path.Combine(_root, "secret.log"));
        var item = await TailAsync($"/zones/{Zone}/root/var/svc/log/site-app:default.log");
        Assert.Contains("symlink", item.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-for-evidence", item.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADirectoryOnTheWayThatIsASymlinkIsRefused()
    {
        // The tenant replaces /var/svc/log with a link to a directory of the global zone.
        Directory.Delete(LogDir);
        File.CreateSymbolicLink(LogDir, _root);
        var item = await TailAsync($"/zones/{Zone}/root/var/svc/log/secret.log");
        Assert.Contains("is a symlink or not a directory", item.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-for-evidence", item.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc/shadow.log")]
    [InlineData("/zones/" + Zone + "/root/var/svc/log/../../../../../secret.log")]
    [InlineData("/zones/" + Zone + "/root/var/svc/log/sub/dir.log")]
    [InlineData("/zones/" + Zone + "/root/etc/app.log")]
    [InlineData("/zones/other-zone/root/var/svc/log/app.log")]
    public async Task APathOutsideTheZonesSvcLogDirectoryIsNotEvenOpened(string path)
    {
        var item = await TailAsync(path);
        Assert.StartsWith("refused:", item.Error, StringComparison.Ordinal);
        Assert.Equal("", item.Text);
    }

    [Fact]
    public async Task AFifoDoesNotHangTheDaemon()
    {
        var fifo = Path.Combine(LogDir, "site-app:default.log");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            mk.WaitForExit();
            Assert.Equal(0, mk.ExitCode);
        }

        var sw = Stopwatch.StartNew();
        var item = await TailAsync($"/zones/{Zone}/root/var/svc/log/site-app:default.log");
        Assert.Contains("not a regular file", item.Error, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }

    [Fact]
    public async Task AHugeLogCostsAtMostTheByteCap()
    {
        var big = Path.Combine(LogDir, "site-app:default.log");
        using (var f = File.Create(big))
        {
            var line = Encoding.ASCII.GetBytes(new string('x', 1023) + "\n");
            for (var i = 0; i < 20 * 1024; i++)
            {
                f.Write(line);
            }

            f.Write("last line\n"u8);
        }

        var item = await TailAsync($"/zones/{Zone}/root/var/svc/log/site-app:default.log", new EvidenceSettings { MaxOutputBytes = 4096, LogLines = 10_000 });
        Assert.Null(item.Error);
        Assert.True(Encoding.UTF8.GetByteCount(item.Text) <= 4096);
        Assert.EndsWith("last line\n", item.Text, StringComparison.Ordinal);
        Assert.True(item.Truncated);
    }

    [Fact]
    public async Task AMissingLogIsSaidSo()
    {
        var item = await TailAsync($"/zones/{Zone}/root/var/svc/log/site-app:default.log");
        Assert.Equal("the log does not exist", item.Error);
    }
}
