using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace LwpWatch.Tests.Shared;

/// <summary>
/// Runs rendered hints in a REAL POSIX shell exactly as printed (<c>sh -c '&lt;hint&gt;'</c>) and reports what they did:
/// every program run from PATH (recorder stubs for systemctl, docker, prctl, vmadm, svcs, journalctl, sysctl, ps,
/// each writing its argv as raw bytes) and every file in the working tree. PATH keeps /usr/bin and /bin after the
/// stubs, so an injected <c>touch x</c> really runs and leaves its marker in the tree instead of failing unseen.
/// Names are bytes: directories are made with mkdir(2) from raw bytes and the tree is listed with find -print0.
/// Shared by the Core renderer tests and the Daemon end-to-end tests (linked into both projects).
/// </summary>
public sealed class ShellHarness : IDisposable
{
    public static readonly string[] Programs = ["systemctl", "docker", "prctl", "vmadm", "svcs", "journalctl", "sysctl", "ps"];

    private readonly string _rec;
    private int _runs;

    public ShellHarness(string shell)
    {
        Shell = shell;
        Dir = Path.Combine(Path.GetTempPath(), "lwpw-sh-" + Guid.NewGuid().ToString("N")[..10]);
        Bin = Path.Combine(Dir, "bin");
        Tree = Path.Combine(Dir, "tree");
        _rec = Path.Combine(Dir, "rec");
        Directory.CreateDirectory(Bin);
        Directory.CreateDirectory(Tree);
        Directory.CreateDirectory(_rec);
        foreach (var p in Programs)
        {
            // One file per invocation, named by the stub's pid: argv[0]'s name, then each argument, NUL-terminated.
            var stub = Path.Combine(Bin, p);
            File.WriteAllText(stub, "#!/bin/sh\n{ printf '%s\\0' \"" + p + "\"; for a in \"$@\"; do printf '%s\\0' \"$a\"; done; } > \"$LWPW_REC/$$\"\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    public string Shell { get; }

    /// <summary>The harness' own directory (stubs, records, tree).</summary>
    public string Dir { get; }

    public string Bin { get; }

    /// <summary>The working directory hints run in; a marker file from an injection lands here.</summary>
    public string Tree { get; }

    public static IEnumerable<string> AvailableShells() =>
        new[] { "/usr/bin/dash", "/bin/dash", "/usr/bin/bash", "/bin/bash" }.Where(File.Exists).DistinctBy(s => Path.GetFileName(s));

    /// <summary>mkdir -p of a path given as raw bytes (each component made with mkdir(2)).</summary>
    public static void MakeDirectories(byte[] path)
    {
        for (var i = 1; i <= path.Length; i++)
        {
            if (i == path.Length || path[i] == (byte)'/')
            {
                var prefix = path.AsSpan(0, i);
                var z = new byte[prefix.Length + 1];
                prefix.CopyTo(z);
                if (Mkdir(z, Convert.ToUInt32("755", 8)) != 0 && Marshal.GetLastPInvokeError() != 17 /* EEXIST */)
                {
                    throw new IOException($"mkdir {Encoding.UTF8.GetString(prefix)}: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
    }

    /// <summary>Writes a file given by raw-byte path (open(2) + write(2)).</summary>
    public static void WriteFile(byte[] path, string content)
    {
        var z = new byte[path.Length + 1];
        path.CopyTo(z, 0);
        var fd = Open(z, 0x41 | 0x200 /* O_WRONLY|O_CREAT|O_TRUNC */, Convert.ToUInt32("644", 8));
        if (fd < 0)
        {
            throw new IOException($"open {Encoding.UTF8.GetString(path)}: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            var bytes = Encoding.ASCII.GetBytes(content);
            if (Write(fd, bytes, bytes.Length) != bytes.Length)
            {
                throw new IOException($"write {Encoding.UTF8.GetString(path)}: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Reads a (small) file given by raw-byte path; null when it cannot be opened.</summary>
    public static string? ReadFile(byte[] path)
    {
        var z = new byte[path.Length + 1];
        path.CopyTo(z, 0);
        var fd = Open(z, 0 /* O_RDONLY */, 0);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            var buf = new byte[4096];
            var n = Read(fd, buf, buf.Length);
            return n < 0 ? null : Encoding.ASCII.GetString(buf, 0, (int)n);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Every path below a root (raw bytes, relative to it), from find -print0.</summary>
    public static List<byte[]> List(string root)
    {
        var psi = new ProcessStartInfo("find", [root, "-mindepth", "1", "-printf", "%P\\0"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        var all = ms.ToArray();
        var result = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < all.Length; i++)
        {
            if (all[i] == 0)
            {
                result.Add(all[start..i]);
                start = i + 1;
            }
        }

        return result;
    }

    /// <summary>Runs one command line as printed; returns its exit code, stderr and the programs it ran (argv as bytes).</summary>
    public Outcome Run(string commandLine)
    {
        foreach (var f in Directory.GetFiles(_rec))
        {
            File.Delete(f);
        }

        var psi = new ProcessStartInfo(Shell) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = Tree };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(commandLine);
        psi.Environment.Clear();
        psi.Environment["PATH"] = Bin + ":/usr/bin:/bin";
        psi.Environment["LWPW_REC"] = _rec;
        psi.Environment["HOME"] = Tree;
        psi.Environment["LC_ALL"] = "C.UTF-8";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(10_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Shell} -c {commandLine} did not end");
        }

        _runs++;
        var runs = new List<List<byte[]>>();
        foreach (var f in Directory.GetFiles(_rec))
        {
            var bytes = File.ReadAllBytes(f);
            var argv = new List<byte[]>();
            var start = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] == 0)
                {
                    argv.Add(bytes[start..i]);
                    start = i + 1;
                }
            }

            runs.Add(argv);
        }

        return new Outcome(p.ExitCode, stdout, stderr.Result, runs);
    }

    public void Dispose()
    {
        // rm -rf handles names .NET cannot spell (not UTF-8).
        using var p = Process.Start(new ProcessStartInfo("rm", ["-rf", "--", Dir]) { UseShellExecute = false })!;
        p.WaitForExit();
    }

    public sealed record Outcome(int ExitCode, string Stdout, string Stderr, List<List<byte[]>> Programs);

    [DllImport("libc", EntryPoint = "mkdir", SetLastError = true)]
    private static extern int Mkdir(byte[] path, uint mode);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags, uint mode);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint Write(int fd, byte[] buf, nint count);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, byte[] buf, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}

/// <summary>tests/corpus/hostile-names.txt, decoded to raw bytes (see the file's header for its escape).</summary>
public static class HostileNames
{
    public static string CorpusPath
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "tests", "corpus", "hostile-names.txt");
                if (File.Exists(p))
                {
                    return p;
                }
            }

            throw new FileNotFoundException("tests/corpus/hostile-names.txt not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Each entry as raw bytes.</summary>
    public static IReadOnlyList<byte[]> Names() =>
        [.. File.ReadAllLines(CorpusPath, Encoding.UTF8).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(LwpWatch.Core.Model.CgroupName.Unescape)];

    /// <summary>Each entry in CgroupName.Escape's form: what LwpWatch's zone ids hold for it.</summary>
    public static IReadOnlyList<string> Escaped() => [.. Names().Select(n => LwpWatch.Core.Model.CgroupName.Escape(n))];
}
