using System.Runtime.InteropServices;
using System.Text;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Model;

namespace LwpWatch.Collectors.Tests.Support;

/// <summary>
/// A private subtree of the REAL v1 pids hierarchy, built the way a hostile tenant would: names as raw bytes
/// (invalid UTF-8, 255 bytes, shell metacharacters), nested deeper than PATH_MAX, every call relative to a
/// directory fd (mkdirat/openat), so no absolute path limit applies to the test either. Everything below
/// <see cref="Top"/> is removed on dispose, depth first, also when the test failed.
/// </summary>
public sealed class RawCgroupTree : IDisposable
{
    public const string PidsRoot = "/sys/fs/cgroup/pids";

    private const int AtRemoveDir = 0x200;
    private const int OWrOnly = 1;
    private const int OCloExec = 0x80000;
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    public RawCgroupTree(string prefix)
    {
        Name = prefix + "-" + Guid.NewGuid().ToString("N")[..10];
        Top = Path.Combine(PidsRoot, Name);
        Directory.CreateDirectory(Top);
    }

    /// <summary>The subtree's own name below the pids root (unique per test run).</summary>
    public string Name { get; }

    /// <summary>Absolute path of the subtree (plain ASCII).</summary>
    public string Top { get; }

    /// <summary>Creates the chain of <paramref name="names"/> below <paramref name="under"/> (raw bytes, relative to Top) and returns the full relative chain.</summary>
    public byte[][] MakeChain(byte[][] under, IEnumerable<byte[]> names)
    {
        var chain = new List<byte[]>(under);
        var fd = OpenChain(under);
        try
        {
            foreach (var n in names)
            {
                Check(MkdirAt(fd, Z(n), 0x1ed), "mkdirat", n);
                var next = OpenAt(fd, Z(n), ODirectory | OCloExec | ONoFollow);
                Check(next, "openat", n);
                _ = Close(fd);
                fd = next;
                chain.Add(n);
            }
        }
        finally
        {
            _ = Close(fd);
        }

        return [.. chain];
    }

    /// <summary>Writes <paramref name="text"/> into the file <paramref name="file"/> of the cgroup at <paramref name="chain"/>.</summary>
    public void Write(byte[][] chain, string file, string text)
    {
        var dir = OpenChain(chain);
        try
        {
            var fd = OpenAt(dir, Z(Encoding.ASCII.GetBytes(file)), OWrOnly | OCloExec);
            Check(fd, "openat", Encoding.ASCII.GetBytes(file));
            try
            {
                var bytes = Encoding.ASCII.GetBytes(text);
                if (WriteSys(fd, bytes, bytes.Length) != bytes.Length)
                {
                    throw new IOException($"write {file}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                }
            }
            finally
            {
                _ = Close(fd);
            }
        }
        finally
        {
            _ = Close(dir);
        }
    }

    /// <summary>
    /// The zone id the collector gives the cgroup at <paramref name="chain"/> when <see cref="Top"/> is the hierarchy
    /// root (see <see cref="View"/>): CgroupName-escaped, relative.
    /// </summary>
    public static string ZoneId(byte[][] chain) => string.Concat(chain.Select(n => "/" + CgroupName.Escape(n)));

    /// <summary>
    /// A cgroup root whose v1 "pids" hierarchy is <see cref="Top"/> (a symlink in a temp dir), so a collector sees
    /// exactly this subtree and never asserts on the rest of the shared host.
    /// </summary>
    public string View
    {
        get
        {
            if (_view is null)
            {
                _view = Path.Combine(Path.GetTempPath(), Name + "-view");
                Directory.CreateDirectory(_view);
                Directory.CreateSymbolicLink(Path.Combine(_view, "pids"), Top);
            }

            return _view;
        }
    }

    private string? _view;

    public void Dispose()
    {
        if (_view is not null && Directory.Exists(_view))
        {
            File.Delete(Path.Combine(_view, "pids"));
            Directory.Delete(_view);
        }

        var fd = OpenAt(-100, Z(Encoding.ASCII.GetBytes(Top)), ODirectory | OCloExec);
        if (fd < 0)
        {
            return;
        }

        try
        {
            RemoveBelow(fd);
        }
        finally
        {
            _ = Close(fd);
        }

        // Tasks that were killed leave asynchronously: rmdir says EBUSY until they are gone.
        for (var i = 0; i < 200 && Directory.Exists(Top); i++)
        {
            try
            {
                Directory.Delete(Top);
            }
            catch (IOException)
            {
                Thread.Sleep(25);
            }
        }
    }

    private static void RemoveBelow(int fd)
    {
        byte[]? entries = null;
        try
        {
            if (NativeLinuxFiles.ReadEntries(fd, "?", ref entries, out var len) != 0)
            {
                return;
            }

            KillTasks(fd);
            var names = new List<string>();
            NativeLinuxFiles.ParseDirectories(fd, "?", entries.AsSpan(0, len), names);
            foreach (var escaped in names)
            {
                var raw = Z(CgroupName.Unescape(escaped));
                var child = OpenAt(fd, raw, ODirectory | OCloExec | ONoFollow);
                if (child >= 0)
                {
                    try
                    {
                        RemoveBelow(child);
                    }
                    finally
                    {
                        _ = Close(child);
                    }
                }

                for (var i = 0; i < 200 && UnlinkAt(fd, raw, AtRemoveDir) != 0; i++)
                {
                    Thread.Sleep(25);
                }
            }
        }
        finally
        {
            if (entries is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(entries);
            }
        }
    }

    /// <summary>SIGKILL to every task in this (private, test-made) cgroup, so it can be removed.</summary>
    private static void KillTasks(int fd)
    {
        byte[]? buffer = null;
        try
        {
            if (NativeLinuxFiles.ReadFileAt(fd, "?", "cgroup.procs", 1 << 20, ref buffer, out var len) != 0)
            {
                return;
            }

            foreach (var line in Encoding.ASCII.GetString(buffer!, 0, len).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(line, out var pid))
                {
                    _ = Kill(pid, 9);
                }
            }
        }
        catch (IOException)
        {
            // gone already
        }
        finally
        {
            if (buffer is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private int OpenChain(byte[][] chain)
    {
        var fd = OpenAt(-100, Z(Encoding.ASCII.GetBytes(Top)), ODirectory | OCloExec);
        Check(fd, "open", Encoding.ASCII.GetBytes(Top));
        foreach (var n in chain)
        {
            var next = OpenAt(fd, Z(n), ODirectory | OCloExec | ONoFollow);
            _ = Close(fd);
            Check(next, "openat", n);
            fd = next;
        }

        return fd;
    }

    private static byte[] Z(byte[] s) => [.. s, 0];

    private static void Check(int rc, string call, byte[] name)
    {
        if (rc < 0)
        {
            throw new IOException($"{call} {CgroupName.Escape(name)}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAt(int dirFd, byte[] path, int flags);

    [DllImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static extern int MkdirAt(int dirFd, byte[] path, int mode);

    [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static extern int UnlinkAt(int dirFd, byte[] path, int flags);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint WriteSys(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
