using System.Diagnostics;
using System.Globalization;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// Real v1 pids cgroups for end-to-end tests: a parent lwpw-test-&lt;random&gt; with one child per zone, each
/// capped and holding one sleeping process, so the zone is at its cap (near-cap critical). A temp dir with
/// a "pids" link to the parent is the daemon's cgroupRoot, so it sees only these zones and not other
/// tests' cgroups. Everything (processes, cgroups, temp dir) is removed on dispose, also after a failure.
/// </summary>
public sealed class CgroupZones : IDisposable
{
    private const string PidsRoot = "/sys/fs/cgroup/pids";
    private readonly Dictionary<string, Process> _holders = new(StringComparer.Ordinal);

    public CgroupZones(int count, int limit = 1)
    {
        Parent = Path.Combine(PidsRoot, $"lwpw-test-{Guid.NewGuid():N}"[..24]);
        Root = Directory.CreateTempSubdirectory("lwpw-test-cgroot-").FullName;
        try
        {
            Directory.CreateDirectory(Parent);
            File.CreateSymbolicLink(Path.Combine(Root, "pids"), Parent);
            for (var i = 0; i < count; i++)
            {
                var name = $"z{i:00}";
                var dir = Path.Combine(Parent, name);
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, "pids.max"), limit.ToString(CultureInfo.InvariantCulture));
                Hold(name);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The daemon's linux.cgroupRoot.</summary>
    public string Root { get; }

    /// <summary>
    /// The start of a daemon config over these zones (500 ms polls, text logs, state in <paramref name="stateDir"/>);
    /// tests append their alerts/receivers/delivery sections.
    /// </summary>
    public string DaemonConfig(string stateDir) => $"""
        poll:
          interval: 500ms
          platform: linux
        linux:
          cgroupRoot: {Root}
        logging:
          format: text
        state:
          dir: {stateDir}

        """;

    public string Parent { get; }

    public IEnumerable<string> ZoneIds => _holders.Keys.Select(n => "/" + n);

    /// <summary>Ends the zone's process: its usage drops to 0 and its finding clears.</summary>
    public void Release(string name)
    {
        if (_holders.Remove(name, out var p))
        {
            Stop(p);
        }
    }

    /// <summary>Ends the zone's process and deletes its cgroup: the zone is gone from the next poll.</summary>
    public void Remove(string name)
    {
        Release(name);
        RemoveCgroup(Path.Combine(Parent, name));
    }

    public void Dispose()
    {
        foreach (var p in _holders.Values)
        {
            Stop(p);
        }

        _holders.Clear();
        if (Directory.Exists(Parent))
        {
            foreach (var child in Directory.GetDirectories(Parent))
            {
                RemoveCgroup(child);
            }

            RemoveCgroup(Parent);
        }

        Directory.Delete(Root, recursive: true);
    }

    public static bool Available => Directory.Exists(PidsRoot) && File.Exists(Path.Combine(PidsRoot, "cgroup.procs"));

    private void Hold(string name)
    {
        var procs = Path.Combine(Parent, name, "cgroup.procs");

        // The shell moves itself into the cgroup, then execs sleep: no fork, so a cap of 1 is enough.
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"echo $$ > {procs} && exec sleep 600"]) { UseShellExecute = false };
        var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /bin/sh");
        _holders[name] = p;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (File.ReadAllText(Path.Combine(Parent, name, "pids.current")).Trim() != "1")
        {
            if (DateTime.UtcNow > deadline || p.HasExited)
            {
                throw new InvalidOperationException($"process did not enter cgroup {name}");
            }

            Thread.Sleep(10);
        }
    }

    private static void Stop(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        p.Dispose();
    }

    private static void RemoveCgroup(string dir)
    {
        // rmdir fails while the kernel still counts an exiting task; retry briefly.
        for (var i = 0; i < 100; i++)
        {
            try
            {
                Directory.Delete(dir);
                return;
            }
            catch (IOException) when (i < 99)
            {
                Thread.Sleep(20);
            }
        }
    }
}
