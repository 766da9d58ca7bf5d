using System.Diagnostics;
using System.Globalization;
using LwpWatch.Collectors;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Tests.Packaging;
using LwpWatch.Daemon.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Hardening.Faults;

/// <summary>
/// One illumos poll over real processes where three tools misbehave at once: svcs hangs, zoneadm prints 100 MB,
/// and kstat's caps run prints good output and is then SIGKILLed (exit 137). Each must cost only what depends
/// on it with a named reason (the caps run only the process figures), the poll must finish on the tool
/// timeout, and no tool may outlive the poll.
/// </summary>
[Trait("Category", "Hardening")]
[Collection("Memory")]
public sealed class ToolFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = TestTools.NewTempDir("lwpw-faults-");

    public void Dispose()
    {
        foreach (var pidFile in Directory.EnumerateFiles(_root, "*.pid"))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                try
                {
                    using var p = Process.GetProcessById(pid);
                    p.Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                    // Gone already, as it should be.
                }
            }
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Hung_flooding_and_killed_tools_each_fail_only_their_collector_and_the_poll_ends_on_the_timeout()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        var fixtures = Repo.Path("tests", "LwpWatch.Collectors.Tests", "Fixtures", "illumos");
        Tool(bin, "zoneadm", $"echo $$ > '{_root}/zoneadm.pid'; /bin/cat '{fixtures}/zoneadm-list-pc.txt'; exec /usr/bin/head -c 104857600 /dev/zero");
        Tool(bin, "svcs", $"echo $$ > '{_root}/svcs.pid'; exec /bin/sleep 600");
        Tool(bin, "kstat", $"if [ \"$2\" = caps::: ]; then /bin/cat '{fixtures}/kstat-caps.txt'; kill -9 $$; fi; exec /bin/cat '{fixtures}/kstat-zones.txt'");
        var etc = Directory.CreateDirectory(Path.Combine(_root, "etc", "zones")).FullName;
        File.Copy(Path.Combine(fixtures, "zones-xml", "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90.xml"), Path.Combine(etc, "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90.xml"));
        var proc = Path.Combine(_root, "proc");
        var recorded = Repo.Path("examples", "triton-fs-local-stuck", "polls", "0001", "files", "proc");
        foreach (var dir in Directory.EnumerateDirectories(recorded))
        {
            var target = Directory.CreateDirectory(Path.Combine(proc, Path.GetFileName(dir))).FullName;
            File.Copy(Path.Combine(dir, "psinfo"), Path.Combine(target, "psinfo"));
        }

        var timeout = TimeSpan.FromSeconds(6);
        var options = new LwpWatchOptions { Illumos = new IllumosSettings { ProcRoot = proc, ZonesRoot = _root, ZoneConfigDir = etc, CommandTimeout = timeout } };
        var io = new LiveHostSource(new CommandRunner(searchPath: bin));
        var poller = new Poller(CollectorFactory.Create(CollectorFactory.Illumos, options, io), TimeProvider.System, "fault-test", "illumos", TimeSpan.FromSeconds(30));
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var sw = Stopwatch.StartNew();
        var s = await poller.PollAsync(CancellationToken.None);
        sw.Stop();
        var retained = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;

        var byName = s.Collectors.ToDictionary(c => c.Name);
        foreach (var c in s.Collectors)
        {
            HardeningMode.Figure(output, $"fault tools collector={c.Name} success={c.Success} error={c.Error}");
        }

        HardeningMode.Figure(output, string.Create(CultureInfo.InvariantCulture, $"fault tools poll-seconds={sw.Elapsed.TotalSeconds:0.00} tool-timeout={timeout.TotalSeconds}s heap-retained-after-poll={retained / 1048576}MB (100 MB printed)"));

        Assert.Contains("timed out", byName["illumos-svcs"].Error, StringComparison.Ordinal);
        Assert.Contains("output cap", byName["illumos-zones"].Error, StringComparison.Ordinal);
        Assert.Contains(s.Warnings, w => w.StartsWith("process counts unavailable", StringComparison.Ordinal) && w.Contains("137", StringComparison.Ordinal));
        Assert.True(byName["illumos-kstat"].Success, byName["illumos-kstat"].Error);
        Assert.True(byName["illumos-caps"].Success, byName["illumos-caps"].Error);
        Assert.True(byName["illumos-psinfo"].Success, byName["illumos-psinfo"].Error);
        Assert.False(byName["illumos-svcs"].Success);
        Assert.False(byName["illumos-zones"].Success);
        // kstat named the running zones, the zone XML gave the cap: the sick zone is fully known without zoneadm.
        var sick = s.FindZone("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90")!;
        Assert.Equal((400L, 1734L), (sick.LwpLimit!.Value, sick.Denials!.Value));
        // Bounded by the tool timeout (plus a 1 s drain), never by the 600 s sleep; wide margin for a loaded CI box.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(40), $"poll took {sw.Elapsed}");
        // The 100 MB flood was drained, not kept: the runner keeps at most its 8 MB cap per stream, and the
        // refused output is not held once the poll is over.
        Assert.True(retained < 32L << 20, $"the poll left {retained} bytes on the heap");

        foreach (var name in new[] { "svcs", "zoneadm" })
        {
            var pid = int.Parse(File.ReadAllText(Path.Combine(_root, name + ".pid")).Trim(), CultureInfo.InvariantCulture);
            for (var i = 0; i < 250 && Alive(pid); i++)
            {
                await Task.Delay(20);
            }

            Assert.False(Alive(pid), $"{name} (pid {pid}) outlived the poll");
        }
    }

    private static void Tool(string dir, string name, string body)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
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
