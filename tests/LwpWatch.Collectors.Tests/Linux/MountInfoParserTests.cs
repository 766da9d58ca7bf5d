using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Tests.Support;
using Xunit;

namespace LwpWatch.Collectors.Tests.Linux;

/// <summary>Samples and their sources: Fixtures/linux/mountinfo/SOURCE.md.</summary>
public sealed class MountInfoParserTests
{
    private static Cgroup2Mounts Parse(string name)
    {
        var path = FixturePaths.Of("linux", "mountinfo", name);
        return MountInfoParser.ParseCgroup2(File.ReadAllText(path), path);
    }

    [Theory]
    [InlineData("hybrid-v1-pids.txt", 1, false)]
    [InlineData("hybrid-cgroup2-pids_localevents.txt", 1, true)]
    [InlineData("systemd-v2.txt", 1, false)]
    [InlineData("systemd-v2-pids_localevents.txt", 1, true)]
    public void Cgroup2_mounts_and_the_pids_localevents_flag(string sample, int mounts, bool local)
    {
        var m = Parse(sample);
        Assert.Equal(mounts, m.Count);
        Assert.Equal(local, m.PidsLocalEvents);
    }

    [Fact]
    public void Options_are_the_super_block_options_after_the_separator_not_the_per_mount_ones()
    {
        var m = Parse("systemd-v2.txt");
        Assert.Equal(["rw", "nsdelegate", "memory_recursiveprot"], m.SuperOptions.ToArray());

        // "pids_localevents" as a mount point name or a per-mount option is not the flag.
        var odd = MountInfoParser.ParseCgroup2("25 24 0:23 / /pids_localevents rw,pids_localevents shared:4 - cgroup2 cgroup2 rw\n", "x");
        Assert.False(odd.PidsLocalEvents);
    }

    [Fact]
    public void Optional_fields_of_any_number_are_skipped()
    {
        var m = MountInfoParser.ParseCgroup2("25 24 0:23 / /sys/fs/cgroup rw shared:4 master:1 propagate_from:2 - cgroup2 cgroup2 rw,pids_localevents\n", "x");
        Assert.True(m.PidsLocalEvents);
    }

    [Fact]
    public void A_v1_only_table_has_no_cgroup2_mount()
    {
        var m = MountInfoParser.ParseCgroup2("39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n", "x");
        Assert.Equal(0, m.Count);
        Assert.False(m.PidsLocalEvents);
    }

    [Fact]
    public void A_line_without_the_separator_is_a_named_error()
    {
        var ex = Assert.Throws<ParseException>(() => MountInfoParser.ParseCgroup2("39 31 0:36 / /sys/fs/cgroup/pids rw,relatime cgroup cgroup rw,pids\n", "/proc/self/mountinfo"));
        Assert.Equal("/proc/self/mountinfo: line 1: expected 'id parent dev root mountpoint options ... - fstype source superoptions'", ex.Message);
    }
}
