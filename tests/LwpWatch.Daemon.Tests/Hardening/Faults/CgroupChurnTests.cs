using System.Diagnostics;
using System.Globalization;
using LwpWatch.Collectors;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Hardening.Faults;

/// <summary>
/// Real cgroups under /sys/fs/cgroup/pids created and removed while polls run (a cgroup vanishes between the
/// listing and the reads), and a process loop inside one of them so /proc entries vanish mid-read while the
/// holders scan runs for every zone. Every poll must succeed: churn is normal, not a collector failure.
/// </summary>
[Trait("Category", "Hardening")]
public sealed class CgroupChurnTests(ITestOutputHelper output) : IDisposable
{
    private readonly RealCgroup _parent = new(max: 400);
    private readonly List<Process> _procs = [];

    public void Dispose()
    {
        foreach (var p in _procs)
        {
            try
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            p.Dispose();
        }

        for (var attempt = 0; attempt < 50; attempt++)
        {
            var left = Directory.EnumerateDirectories(_parent.Path).ToList();
            foreach (var child in left)
            {
                try
                {
                    Directory.Delete(child);
                }
                catch (IOException)
                {
                    // Still has a dying process: retry.
                }
            }

            if (left.Count == 0)
            {
                break;
            }

            Thread.Sleep(100);
        }

        _parent.Dispose();
    }

    [Fact]
    public async Task Cgroups_removed_and_processes_exiting_mid_poll_never_fail_a_poll()
    {
        var churnDir = Path.Combine(_parent.Path, "churn");
        Directory.CreateDirectory(churnDir);
        await File.WriteAllTextAsync(Path.Combine(churnDir, "pids.max"), "4");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"echo $$ > {churnDir}/cgroup.procs && exec /bin/sh -c 'while :; do /bin/true; done'");
        _procs.Add(Process.Start(psi)!);

        using var stop = new CancellationTokenSource();
        var created = 0;
        var removed = 0;
        // A thread of its own: on the thread pool, a busy start of the test run could starve it and leave too
        // little churn to prove anything (seen once in CI).
        var churner = Task.Factory.StartNew(() =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var dir = Path.Combine(_parent.Path, "c" + (n++ % 40).ToString(CultureInfo.InvariantCulture));
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir);
                    removed++;
                }
                else
                {
                    Directory.CreateDirectory(dir);
                    created++;
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        for (var wait = 0; wait < 100 && Volatile.Read(ref created) == 0; wait++)
        {
            await Task.Delay(100);
        }

        var options = new LwpWatchOptions
        {
            Linux = new LinuxSettings { HoldersAtRatio = 0, Systemd = new SystemdSettings { Enabled = "false" } },
        };
        var poller = new Poller(CollectorFactory.Create(CollectorFactory.Linux, options, new LiveHostSource(new CommandRunner())), TimeProvider.System, "churn", "linux", TimeSpan.FromSeconds(30));
        var polls = HardeningMode.Full("faults") ? 300 : 30;
        var warnings = 0;
        var sawChildren = 0;
        try
        {
            for (var i = 0; i < polls; i++)
            {
                var s = await poller.PollAsync(CancellationToken.None);
                foreach (var c in s.Collectors.Where(c => c.Name is "cgroup-pids" or "proc-holders"))
                {
                    Assert.True(c.Success, $"poll {i}: {c.Name}: {c.Error}");
                }

                warnings += s.Warnings.Length;
                Assert.NotNull(s.FindZone(_parent.ZoneId + "/churn"));
                if (s.Zones.Any(z => z.Id.StartsWith(_parent.ZoneId + "/c", StringComparison.Ordinal)))
                {
                    sawChildren++;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await churner;
        }

        HardeningMode.Figure(output, $"fault cgroup-churn polls={polls} cgroups-created={created} cgroups-removed={removed} polls-seeing-churned-cgroups={sawChildren} warnings={warnings} failures=0");
        Assert.True(created > polls && removed > polls, $"too little churn: {created} created, {removed} removed");
    }
}
