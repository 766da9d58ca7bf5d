using System.Globalization;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Tests.Delivery;
using LwpWatch.Daemon.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace LwpWatch.Daemon.Tests.Hosting;

public sealed class StartupPagesTests
{
    [Fact]
    public void Nothing_is_released_before_the_third_poll_then_once()
    {
        var pages = new StartupPages(NullLogger<StartupPages>.Instance);
        pages.AfterPoll();
        pages.AfterPoll();
        Assert.False(pages.Done);
        Assert.Equal(0, pages.ReleasedKb);
        pages.AfterPoll();
        Assert.True(pages.Done);
        var released = pages.ReleasedKb;
        // This test process's executable (the dotnet host) had resident read-only pages, now released.
        Assert.True(released > 0, "nothing released");
        pages.AfterPoll();
        Assert.Equal(released, pages.ReleasedKb);
    }

    /// <summary>
    /// `lwpwatch run` itself (in test.sh's second pass the NativeAOT binary): after its third poll the resident part
    /// of its executable's read-only mappings shrinks, it says so in its log, and it goes on polling and serving.
    /// </summary>
    [Fact]
    [Trait("Binary", "lwpwatch")]
    public async Task The_daemon_releases_its_start_up_pages_and_keeps_serving()
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        using var zones = new CgroupZones(2);
        var state = TestTools.NewTempDir();
        try
        {
            // 2 s polls: the third poll (and the release) comes seconds after READY, so "before" is read before it.
            using var d = new DaemonProcess([], zones.DaemonConfig(state).Replace("interval: 500ms", "interval: 2s", StringComparison.Ordinal));
            await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(60));
            var exe = File.ResolveLinkTarget($"/proc/{d.Pid}/exe", returnFinalTarget: true)!.FullName;
            var before = ExecutableRssKb(d.Pid, exe);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!d.Output.Contains("start-up pages", StringComparison.OrdinalIgnoreCase) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.Contains("Released", d.Output, StringComparison.Ordinal);
            var after = ExecutableRssKb(d.Pid, exe);
            Assert.True(after < before, string.Create(CultureInfo.InvariantCulture, $"executable resident {before} kB before, {after} kB after\n{d.Output}"));
            // Still polling: a later poll is served.
            var first = await d.WaitForAsync("/metrics", TimeSpan.FromSeconds(10));
            await d.WaitForAsync("/metrics", TimeSpan.FromSeconds(30), m => m != first && m.Contains("lwpwatch_zone_lwps{", StringComparison.Ordinal));
            Assert.False(d.HasExited);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    private static long ExecutableRssKb(int pid, string exe) =>
        SmapsParser.Parse(File.ReadAllText($"/proc/{pid}/smaps")).Where(m => m.Path == exe && m.ReadOnlyPrivate).Sum(m => m.RssKb);
}
