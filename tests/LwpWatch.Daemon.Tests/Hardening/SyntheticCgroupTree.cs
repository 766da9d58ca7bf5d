using System.Globalization;

namespace LwpWatch.Daemon.Tests.Hardening;

/// <summary>
/// A cgroup v2-shaped tree in a temp dir (cgroup.controllers with pids at the root, pids.* files per cgroup),
/// for scale tests that real cgroups cannot reach on a small box. Values are rewritten between polls.
/// </summary>
public sealed class SyntheticCgroupTree : IDisposable
{
    public SyntheticCgroupTree(int zones, int limit)
    {
        // tmpfs when there is one: 40,000 small files are what is being tested, not the disk.
        var shm = "/dev/shm";
        Root = Path.Combine(Directory.Exists(shm) ? shm : Path.GetTempPath(), "lwpw-cgtree-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
        File.WriteAllText(Path.Combine(Root, "cgroup.controllers"), "cpuset cpu io memory pids\n");
        Zones = zones;
        Limit = limit;
        for (var i = 0; i < zones; i++)
        {
            var dir = Dir(i);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "pids.max"), limit.ToString(CultureInfo.InvariantCulture) + "\n");
            File.WriteAllText(Path.Combine(dir, "pids.events"), "max 0\n");
            Set(i, limit / 4);
        }
    }

    public string Root { get; }

    public int Zones { get; }

    public int Limit { get; }

    /// <summary>Spread over slices like a real host (a flat directory of 10,000 entries is not what nodes have).</summary>
    public string Dir(int i) => Path.Combine(Root, $"lwpw-{i / 100:D3}.slice", $"zone-{i:D5}.service");

    public string ZoneId(int i) => "/" + Path.GetRelativePath(Root, Dir(i)).Replace('\\', '/');

    public void Set(int i, long current)
    {
        var dir = Dir(i);
        var text = current.ToString(CultureInfo.InvariantCulture) + "\n";
        File.WriteAllText(Path.Combine(dir, "pids.current"), text);
        File.WriteAllText(Path.Combine(dir, "pids.peak"), text);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>A clock a test sets by hand, including backwards.</summary>
public sealed class SettableClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
