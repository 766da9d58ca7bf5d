using System.Diagnostics;
using System.Globalization;

namespace LwpWatch.Daemon.Tests.Support;

/// <summary>
/// A real cgroup v1 pids cgroup under /sys/fs/cgroup/pids (this machine kind mounts pids on v1), with a cap and
/// optionally a process inside that asks for threads. Dispose kills the processes and removes the cgroup,
/// also when the test failed.
/// </summary>
public sealed class RealCgroup : IDisposable
{
    public const string PidsRoot = "/sys/fs/cgroup/pids";

    private readonly List<Process> _procs = [];

    public RealCgroup(int? max, string? name = null)
    {
        Name = name ?? "lwpw-test-" + Guid.NewGuid().ToString("N")[..10];
        Path = System.IO.Path.Combine(PidsRoot, Name);
        Directory.CreateDirectory(Path);
        if (max is { } m)
        {
            File.WriteAllText(System.IO.Path.Combine(Path, "pids.max"), m.ToString(CultureInfo.InvariantCulture));
        }
    }

    public string Name { get; }

    /// <summary>Absolute directory of the cgroup.</summary>
    public string Path { get; }

    /// <summary>The zone id LwpWatch gives it: the path below the hierarchy root.</summary>
    public string ZoneId => "/" + Name;

    public static bool Available => File.Exists(System.IO.Path.Combine(PidsRoot, "cgroup.procs")) && Environment.UserName == "root";

    /// <summary>Starts the spawn helper inside the cgroup asking for <paramref name="threads"/> threads and waits until it reports.</summary>
    public string StartThreads(int threads)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"echo $$ > {Path}/cgroup.procs && exec {TestTools.Spawn} {threads.ToString(CultureInfo.InvariantCulture)}");
        var p = Process.Start(psi)!;
        _procs.Add(p);
        var line = p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        return line ?? throw new InvalidOperationException("spawn helper exited without reporting");
    }

    public string Read(string file) => File.ReadAllText(System.IO.Path.Combine(Path, file)).Trim();

    public void KillProcesses()
    {
        foreach (var p in _procs)
        {
            try
            {
                p.Kill(true);
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        _procs.Clear();
    }

    public void Dispose()
    {
        KillProcesses();
        // A cgroup can be removed only once its last task is gone; the kernel needs a moment after the kill.
        for (var i = 0; i < 100 && Directory.Exists(Path); i++)
        {
            try
            {
                foreach (var d in Directory.GetDirectories(Path, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
                {
                    Directory.Delete(d);
                }

                Directory.Delete(Path);
            }
            catch (IOException)
            {
                Thread.Sleep(50);
            }
        }
    }
}
