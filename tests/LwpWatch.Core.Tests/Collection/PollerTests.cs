using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Tests.Collection;

public sealed class PollerTests
{
    private sealed class Fixed(string name, Func<CancellationToken, Task<Contribution>> run) : ICollector
    {
        public string Name => name;

        public Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken) => run(cancellationToken);
    }

    [Fact]
    public async Task A_hung_or_throwing_collector_fails_alone_and_the_poll_goes_on()
    {
        var zone = new Zone { Id = "/a", Kind = ZoneKind.Cgroup, Name = "a", Lwps = 1 };
        var poller = new Poller(
            [
                new Fixed("hangs", async ct => { await Task.Delay(Timeout.Infinite, ct); return Contribution.Empty; }),
                new Fixed("throws", _ => throw new IOException("disk on fire")),
                new Fixed("works", _ => Task.FromResult(new Contribution { Zones = [zone] })),
            ],
            TimeProvider.System,
            "h",
            "linux",
            TimeSpan.FromMilliseconds(200));
        var s = await poller.PollAsync(CancellationToken.None);
        Assert.Equal(["hangs", "throws", "works"], s.Collectors.Select(c => c.Name));
        Assert.False(s.Collectors[0].Success);
        Assert.StartsWith("timed out", s.Collectors[0].Error, StringComparison.Ordinal);
        Assert.Equal("disk on fire", s.Collectors[1].Error);
        Assert.True(s.Collectors[2].Success);
        Assert.Equal("/a", Assert.Single(s.Zones).Id);
    }

    [Fact]
    public async Task A_collector_that_ignores_cancellation_is_still_abandoned_at_the_timeout()
    {
        var never = new TaskCompletionSource<Contribution>();
        var poller = new Poller([new Fixed("deaf", _ => never.Task)], TimeProvider.System, "h", "linux", TimeSpan.FromMilliseconds(100));
        var s = await poller.PollAsync(CancellationToken.None);
        Assert.False(s.Collectors.Single().Success);
    }
}
