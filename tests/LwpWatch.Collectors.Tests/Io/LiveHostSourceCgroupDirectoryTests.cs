using System.Text;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using Xunit;

namespace LwpWatch.Collectors.Tests.Io;

/// <summary>
/// The live source's directory handles on real cgroupfs (the v1 pids hierarchy this machine kind has): a cgroup
/// whose link count says it has no subdirectories is read without being listed, so these pin that a leaf still
/// reads and lists like any directory, that a cgroup with children still lists them, and that a leaf which gains a
/// child is listed with it the next time it is opened.
/// </summary>
public sealed class LiveHostSourceCgroupDirectoryTests : IDisposable
{
    private readonly LiveHostSource live = new(new CommandRunner());
    private readonly string top;

    public LiveHostSourceCgroupDirectoryTests()
    {
        Assert.True(File.Exists("/sys/fs/cgroup/pids/cgroup.procs"), "this machine kind has the v1 pids hierarchy at /sys/fs/cgroup/pids");
        top = Path.Combine("/sys/fs/cgroup/pids", "lwpw-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path.Combine(top, "parent", "leaf"));
        File.WriteAllText(Path.Combine(top, "parent", "leaf", "pids.max"), "7");
    }

    public void Dispose()
    {
        // Depth first: cgroupfs removes a directory only once it has no subdirectories.
        foreach (var d in Directory.EnumerateDirectories(top, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(top))
        {
            Directory.Delete(d);
        }
    }

    [Fact]
    public void A_leaf_cgroup_lists_no_subdirectories_and_reads_its_files()
    {
        using var root = live.OpenDirectory(top);
        using var parent = root.OpenSubdirectory("parent");
        using var leaf = parent.OpenSubdirectory("leaf");
        var buffer = new byte[64];

        var n = leaf.ReadSmallFile("pids.max", buffer);

        Assert.Equal("7\n", Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(-1, leaf.ReadSmallFile("pids.events.local", buffer)); // no such file on v1: gone, not an error
        Assert.Empty(leaf.ListDirectories());
        Assert.Equal(["leaf"], parent.ListDirectories());
        Assert.Equal(["parent"], root.ListDirectories());
    }

    [Fact]
    public void A_leaf_that_gains_a_child_lists_it_when_opened_again()
    {
        using (var root = live.OpenDirectory(top))
        using (var parent = root.OpenSubdirectory("parent"))
        using (var leaf = parent.OpenSubdirectory("leaf"))
        {
            Assert.Empty(leaf.ListDirectories());
        }

        Directory.CreateDirectory(Path.Combine(top, "parent", "leaf", "child"));
        using (var root = live.OpenDirectory(top))
        using (var parent = root.OpenSubdirectory("parent"))
        using (var leaf = parent.OpenSubdirectory("leaf"))
        {
            Assert.Equal(["child"], leaf.ListDirectories());
            Assert.Equal(["leaf"], parent.ListDirectories());
        }
    }

    [Fact]
    public void A_cgroup_read_before_it_is_listed_still_lists_its_children()
    {
        // The collector reads a cgroup's files first and lists it after: the read must not decide the listing.
        using var root = live.OpenDirectory(top);
        using var parent = root.OpenSubdirectory("parent");
        var buffer = new byte[64];

        Assert.True(parent.ReadSmallFile("pids.current", buffer) > 0);
        Assert.Equal(-1, parent.ReadSmallFile("pids.events.local", buffer));
        Assert.Equal(["leaf"], parent.ListDirectories());
    }
}
