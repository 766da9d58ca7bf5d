using System.Diagnostics;
using System.Globalization;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

/// <summary>
/// Real processes: fake illumos tools (shell scripts printing the fixtures) found through the runner's search
/// path, a /proc tree of real psinfo files, and an `svcs` that never exits.
/// </summary>
public sealed class HangingToolTests : IDisposable
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";
    private readonly string _root = Directory.CreateTempSubdirectory("lwpw-test-").FullName;

    public void Dispose()
    {
        var pidFile = Path.Combine(_root, "svcs.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            try
            {
                // Only if the runner failed to kill it: never leave the sleeper behind.
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                p.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Already gone, as it should be.
            }
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task ASvcsThatHangsIsKilledAndThePollStillReportsZonesAndLwps()
    {
        var tools = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        var pidFile = Path.Combine(_root, "svcs.pid");
        Tool(tools, "zoneadm", $"exec /bin/cat '{Fixture.PathOf("illumos/zoneadm-list-pc.txt")}'");
        Tool(tools, "kstat", $"exec /bin/cat '{Fixture.PathOf("illumos/kstat-zones.txt")}' '{Fixture.PathOf("illumos/kstat-caps.txt")}'");
        var etc = Directory.CreateDirectory(Path.Combine(_root, "etc", "zones")).FullName;
        File.WriteAllBytes(Path.Combine(etc, Sick + ".xml"), IllumosCollectorsTests.SickXml());
        Tool(tools, "svcs", $"echo $$ > '{pidFile}'; exec /bin/sleep 600");
        var proc = Path.Combine(_root, "proc");
        Psinfo(proc, 1, 0, 30);
        Psinfo(proc, 20990, 12, 200);
        Psinfo(proc, 20991, 12, 198);

        // One timeout for every tool: 5 s (not 1 s) lets the zoneadm and kstat scripts start and finish, and the hung
        // svcs write its pid file, on a loaded 2-core CI box with a VM image build beside it (as ToolFaultTests' 6 s).
        var settings = new IllumosSettings { ProcRoot = proc, ZonesRoot = _root, ZoneConfigDir = etc, CommandTimeout = TimeSpan.FromSeconds(5) };
        var io = new LiveHostSource(new CommandRunner(searchPath: tools));
        var poller = new Poller(CollectorFactory.Create(CollectorFactory.Illumos, new LwpWatchOptions { Illumos = settings }, io), TimeProvider.System, "test", "illumos", TimeSpan.FromSeconds(60));

        var sw = Stopwatch.StartNew();
        var s = await poller.PollAsync(CancellationToken.None);
        sw.Stop();

        var svcs = s.Collectors.Single(c => c.Name == "illumos-svcs");
        Assert.False(svcs.Success);
        Assert.Contains("timed out", svcs.Error, StringComparison.Ordinal);
        Assert.All(s.Collectors.Where(c => c.Name != "illumos-svcs"), c => Assert.True(c.Success, c.Name + ": " + c.Error));
        var sick = s.FindZone(Sick)!;
        Assert.Equal(398, sick.Lwps);
        Assert.Equal(400, sick.LwpLimit);
        Assert.Equal(1734, sick.Denials);
        Assert.Equal(30, s.FindZone("global")!.Lwps);
        // Bounded by the 5 s tool timeout (plus the runner's drain), not by the 600 s sleep nor the poller's 60 s
        // collector timeout (generous margin for a loaded CI box, as ToolFaultTests' 40 s for its 6 s).
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(40), $"poll took {sw.Elapsed}");

        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        for (var i = 0; i < 250 && Alive(pid); i++)
        {
            await Task.Delay(20);
        }

        Assert.False(Alive(pid), $"the hung svcs (pid {pid}) is still running");
    }

    private static void Tool(string dir, string name, string body)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void Psinfo(string proc, int pid, int zone, int lwps)
    {
        var dir = Directory.CreateDirectory(Path.Combine(proc, pid.ToString(CultureInfo.InvariantCulture))).FullName;
        File.WriteAllBytes(Path.Combine(dir, "psinfo"), PsinfoParserTests.Build(pid, zone, lwps, "p", "p"));
    }

    private static bool Alive(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return !text[(text.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
