using System.Text;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using Xunit;

namespace LwpWatch.Collectors.Tests.Io;

/// <summary>
/// The live source's hot-path reads (native on Linux) must answer exactly like the path-based API and like the
/// interface defaults that capture/replay sources inherit.
/// </summary>
public sealed class LiveHostSourceSmallFileTests : IDisposable
{
    private readonly TempTree tree = new();
    private readonly LiveHostSource live = new(new CommandRunner());

    public void Dispose() => tree.Dispose();

    [Fact]
    public void ReadSmallFile_returns_the_bytes_of_the_file()
    {
        tree.File("cg/pids.events", "max 31\n");
        var buffer = new byte[64];

        var n = live.ReadSmallFile(Path.Combine(tree.Root, "cg"), "pids.events", buffer);

        Assert.Equal("max 31\n", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public void ReadSmallFile_says_gone_for_a_missing_file_or_directory()
    {
        tree.Dir("cg");
        var buffer = new byte[64];

        Assert.Equal(-1, live.ReadSmallFile(Path.Combine(tree.Root, "cg"), "pids.events.local", buffer));
        Assert.Equal(-1, live.ReadSmallFile(Path.Combine(tree.Root, "vanished"), "pids.max", buffer));
    }

    [Fact]
    public void ReadSmallFile_fills_the_buffer_when_the_file_is_longer()
    {
        tree.File("big", new string('7', 300));
        var buffer = new byte[128];

        Assert.Equal(128, live.ReadSmallFile(tree.Root, "big", buffer));
    }

    [Fact]
    public void ReadSmallFile_on_a_directory_fails_like_the_managed_read()
    {
        tree.Dir("cg/pids.max");
        var buffer = new byte[64];

        var managed = Record.Exception(() => live.ReadText(Path.Combine(tree.Root, "cg", "pids.max")));
        var fast = Record.Exception(() => live.ReadSmallFile(Path.Combine(tree.Root, "cg"), "pids.max", buffer));

        Assert.NotNull(managed);
        Assert.NotNull(fast);
        Assert.Equal(managed.GetType(), fast.GetType());
    }

    [Fact]
    public void Reads_through_a_directory_handle_match_the_path_based_default()
    {
        tree.File("cg/pids.max", "20\n");
        tree.File("cg/pids.current", "7\n");
        tree.Dir("cg/child");
        tree.Dir("cg/.hidden");
        tree.File("cg/not-a-dir", "x");
        Directory.CreateSymbolicLink(Path.Combine(tree.Root, "cg", "link-to-child"), Path.Combine(tree.Root, "cg", "child"));
        var dir = Path.Combine(tree.Root, "cg");
        var viaDefault = new PathOnlySource(live);

        using var fast = live.OpenDirectory(dir);
        using var slow = ((IHostSource)viaDefault).OpenDirectory(dir);

        foreach (var file in new[] { "pids.max", "pids.current", "pids.events.local" })
        {
            var a = new byte[64];
            var b = new byte[64];
            var na = fast.ReadSmallFile(file, a);
            var nb = slow.ReadSmallFile(file, b);
            Assert.Equal(nb, na);
            Assert.Equal(b, a);
        }

        Assert.Equal(["child", ".hidden"], fast.ListDirectories().Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(slow.ListDirectories().Order(StringComparer.Ordinal), fast.ListDirectories().Order(StringComparer.Ordinal));
        Assert.Contains(Path.Combine(dir, "pids.max"), viaDefault.Reads);
    }

    [Fact]
    public void ListDirectories_skips_symlinks_and_files_and_keeps_hidden_directories()
    {
        tree.Dir("a");
        tree.Dir(".b");
        tree.File("f", "x");
        Directory.CreateSymbolicLink(Path.Combine(tree.Root, "l"), Path.Combine(tree.Root, "a"));

        Assert.Equal([".b", "a"], live.ListDirectories(tree.Root).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_missing_directory_reads_as_gone_and_lists_empty()
    {
        using var d = live.OpenDirectory(Path.Combine(tree.Root, "nope"));

        Assert.Equal(-1, d.ReadSmallFile("pids.max", new byte[16]));
        Assert.Empty(d.ListDirectories());
        Assert.Empty(live.ListDirectories(Path.Combine(tree.Root, "nope")));
    }

    [Fact]
    public void A_directory_with_many_entries_is_listed_whole()
    {
        // More entries than one 32 KiB getdents64 buffer holds, so the listing has to loop.
        for (var i = 0; i < 1500; i++)
        {
            Directory.CreateDirectory(Path.Combine(tree.Root, "z" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + new string('x', 20)));
        }

        using var d = live.OpenDirectory(tree.Root);
        Assert.Equal(1500, d.ListDirectories().Count);
        Assert.Equal(1500, d.ListDirectories().Count); // listing again through the same handle rewinds
    }

    [Fact]
    public void A_directory_removed_after_it_was_opened_reads_as_gone()
    {
        var dir = tree.Dir("short-lived");

        using var d = live.OpenDirectory(dir);
        Directory.Delete(dir);

        Assert.Equal(-1, d.ReadSmallFile("pids.max", new byte[16]));
        Assert.Empty(d.ListDirectories());
    }

    [Fact]
    public void ReadText_returns_what_File_ReadAllText_returns()
    {
        var files = new[]
        {
            tree.File("ascii", "max 31\n"),
            tree.File("bom", [0xEF, 0xBB, 0xBF, (byte)'4', (byte)'2', (byte)'\n']),
            tree.File("utf16", [0xFF, 0xFE, (byte)'7', 0, (byte)'\n', 0]),
            tree.File("invalid", [(byte)'4', 0xFF, 0xC3, (byte)'\n']),
            tree.File("umlaut", "zone-ü\n"),
            tree.File("empty", string.Empty),
            tree.File("big", new string('x', 100_000) + "\n"),
            "/proc/sys/kernel/pid_max",
        };

        foreach (var f in files)
        {
            Assert.Equal(File.ReadAllText(f), live.ReadText(f));
        }
    }

    [Fact]
    public void ReadText_says_null_when_missing_and_fails_with_a_named_io_error_on_a_directory()
    {
        var dir = tree.Dir("d");

        Assert.Null(live.ReadText(Path.Combine(tree.Root, "missing")));
        Assert.Null(live.ReadText(Path.Combine(tree.Root, "no-dir", "missing")));
        var ex = Assert.IsAssignableFrom<IOException>(Record.Exception(() => live.ReadText(dir)));
        Assert.Equal(dir + ": Is a directory", ex.Message);
    }
}
