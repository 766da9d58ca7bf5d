using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Tests.Support;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Tests.Linux;

public sealed class HostLimitsTests
{
    [Fact]
    public void Loadavg_gives_running_and_total_tasks() =>
        Assert.Equal((2L, 345L), HostLimitsParser.ParseLoadavg("0.00 0.01 0.05 2/345 6789\n", "/proc/loadavg"));

    [Theory]
    [InlineData("0.00 0.01")]
    [InlineData("0.00 0.01 0.05 2-345 6789")]
    [InlineData("0.00 0.01 0.05 x/345 6789")]
    public void Garbled_loadavg_is_a_named_error(string text) =>
        Assert.Throws<ParseException>(() => HostLimitsParser.ParseLoadavg(text, "/proc/loadavg"));

    [Fact]
    public async Task Reads_this_machines_real_kernel_limits()
    {
        var c = await new HostLimitsCollector(new InterceptingHostSource(), new LinuxSettings())
            .CollectAsync(new SnapshotDraft { TakenAt = DateTimeOffset.UnixEpoch, Host = "h", Platform = "linux" }, CancellationToken.None);
        var expected = long.Parse(File.ReadAllText("/proc/sys/kernel/threads-max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, c.HostLimits!.ThreadsMax);
        Assert.True(c.HostLimits.PidMax > 0);
        Assert.True(c.HostLimits.Tasks > 0);
    }
}
