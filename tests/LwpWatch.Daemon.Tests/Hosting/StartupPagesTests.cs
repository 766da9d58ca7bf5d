using System.Globalization;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Tests.Delivery;
using LwpWatch.Daemon.Tests.Support;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Tests.Hosting;

public sealed class StartupPagesTests
{
    [Fact]
    public void Nothing_is_released_before_the_third_poll_then_once()
    {
        // In this test process (the dotnet host) an in-process daemon test may have released the pages already,
        // so how much is released here is not known; that pages are released is the end-to-end test below.
        var log = new ListLogger();
        var pages = new StartupPages(new Typed<StartupPages>(log));
        pages.AfterPoll();
        pages.AfterPoll();
        Assert.False(pages.Done);
        Assert.Empty(log.Entries);
        pages.AfterPoll();
        Assert.True(pages.Done);
        var released = Assert.Single(log.WithId(1030));
        Assert.Equal(LogLevel.Information, released.Level);
        Assert.Empty(log.WithId(1031));
        pages.AfterPoll();
        pages.AfterPoll();
        Assert.Single(log.Entries);
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

    /// <summary>ListLogger as the typed logger the class takes from DI.</summary>
    private sealed class Typed<T>(ILogger inner) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, formatter);
    }

    private static long ExecutableRssKb(int pid, string exe) =>
        SmapsParser.Parse(File.ReadAllText($"/proc/{pid}/smaps")).Where(m => m.Path == exe && m.ReadOnlyPrivate).Sum(m => m.RssKb);
}
