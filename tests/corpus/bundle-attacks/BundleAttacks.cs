using System.Runtime.InteropServices;
using System.Text;

namespace LwpWatch.Tests.Corpus;

/// <summary>
/// The bundle-attack corpus of issue 13 item 4, generated: each attack turns a valid one-poll Linux capture bundle
/// into a malformed or hostile one, exactly as found on this machine kind (or a variant of it). Shared source,
/// compiled into the Collectors tests (every attack against BundleReader/ReplayHostSource, native and managed
/// resolution) and the Daemon tests (`lwpwatch check --replay` as a process: exit 3, one line, RSS bound).
/// The base bundle must hold <see cref="Target"/> (read by the host-limits collector) and the listed cgroup
/// directory <see cref="CgroupDir"/>.
/// </summary>
public static class BundleAttacks
{
    /// <summary>A host file every Linux replay reads (HostLimitsCollector: procRoot/loadavg).</summary>
    public const string Target = "/proc/loadavg";

    /// <summary>A directory every Linux replay lists (the v1 pids hierarchy).</summary>
    public const string CgroupDir = "/sys/fs/cgroup/pids";

    /// <param name="Name">Short id of the attack.</param>
    /// <param name="Apply">Turns the bundle at its first argument into the attack; the second is the planted secret's path.</param>
    /// <param name="Expect">A piece of the one-line error that must name what is wrong.</param>
    public sealed record Attack(string Name, Action<string, string> Apply, string Expect)
    {
        public override string ToString() => Name;
    }

    public static string Poll1(string bundle) => Path.Combine(bundle, "polls", "0001");

    public static string Files(string bundle) => Path.Combine(Poll1(bundle), "files");

    public static string TargetIn(string bundle) => Path.Combine(Files(bundle), Target[1..]);

    /// <summary>A file outside every bundle whose content must never be printed (mode 0600, as the was).</summary>
    public static string PlantSecret(string dir, out string content)
    {
        content = "LWPW-PLANTED-SECRET-" + Guid.NewGuid().ToString("N");
        var path = Path.Combine(dir, "planted-secret.txt");
        File.WriteAllText(path, content + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return path;
    }

    public static IReadOnlyList<Attack> All { get; } =
    [
        new("files-root-symlink-to-slash", (b, _) =>
        {
            Directory.Delete(Files(b), recursive: true);
            Directory.CreateSymbolicLink(Files(b), "/");
        }, "leaves the bundle"),
        new("relative-link-through-an-in-bundle-link-to-slash", (b, secret) =>
        {
            Directory.CreateSymbolicLink(Path.Combine(b, "escape"), "/");
            Replace(TargetIn(b), t => File.CreateSymbolicLink(t, "../../../../escape" + secret));
        }, "leaves the bundle"),
        new("relative-link-climbing-out", (b, secret) =>
            Replace(TargetIn(b), t => File.CreateSymbolicLink(t, string.Concat(Enumerable.Repeat("../", 12)) + secret[1..])), "leaves the bundle"),
        new("absolute-link-to-the-secret", (b, secret) => Replace(TargetIn(b), t => File.CreateSymbolicLink(t, secret)), "leaves the bundle"),
        new("link-to-dev-zero", (b, _) => Replace(TargetIn(b), t => File.CreateSymbolicLink(t, "/dev/zero")), "leaves the bundle"),
        new("device-node-in-files", (b, _) => Replace(TargetIn(b), t => Check(MkNod(t, 0x2000 | 0x1a4, (1UL << 8) | 5), "mknod")), "character device"),
        new("fifo-in-files", (b, _) => Replace(TargetIn(b), t => Check(MkFifo(t, 0x1a4), "mkfifo")), "is a FIFO"),
        new("sparse-1.5GB-file", (b, _) => Replace(TargetIn(b), t =>
        {
            using var f = new FileStream(t, FileMode.CreateNew);
            f.SetLength(1536L * 1024 * 1024);
        }), "more than the"),
        new("100k-deep-json-in-bundle.json", (b, _) => File.WriteAllText(Path.Combine(b, "bundle.json"),
            "{\"version\":1,\"platform\":\"linux\",\"host\":\"h\",\"polls\":1,\"x\":" + new string('[', 100_000) + new string(']', 100_000) + "}"), "invalid JSON"),
        new("100k-deep-json-in-commands.json", (b, _) => File.WriteAllText(Path.Combine(Poll1(b), "commands.json"),
            new string('[', 100_000) + new string(']', 100_000)), "invalid JSON"),
        new("polls-2147483647", (b, _) => File.WriteAllText(Path.Combine(b, "bundle.json"),
            "{\"version\":1,\"platform\":\"linux\",\"host\":\"h\",\"polls\":2147483647}"), "says 2147483647 polls but"),
        new("invalid-utf8-name-in-files", (b, _) =>
        {
            var dir = Path.Combine(Files(b), CgroupDir[1..]);
            Directory.CreateDirectory(dir);
            Check(MkDir(Encoding.UTF8.GetBytes(dir).Concat(new byte[] { (byte)'/', 0x66, 0xff, 0xfe, 0 }).ToArray(), 0x1ed), "mkdir");
        }, "not UTF-8"),
        new("invalid-utf8-path-in-files.json", (b, _) => File.WriteAllBytes(Path.Combine(Poll1(b), "files.json"),
            [.. "[{\"path\":\"/x"u8, 0xff, 0xfe, .. "\",\"mtime\":null}]"u8]), "not valid UTF-8"),
        new("bundle.json-is-a-fifo", (b, _) => Replace(Path.Combine(b, "bundle.json"), t => Check(MkFifo(t, 0x1a4), "mkfifo")), "is a FIFO"),
        new("sparse-1.5GB-commands.json", (b, _) => Replace(Path.Combine(Poll1(b), "commands.json"), t =>
        {
            using var f = new FileStream(t, FileMode.CreateNew);
            f.SetLength(1536L * 1024 * 1024);
        }), "more than the"),
    ];

    private static void Replace(string path, Action<string> create)
    {
        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        create(path);
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    private static int MkNod(string path, int mode, ulong dev) => MkNodSys(Encoding.UTF8.GetBytes(path + "\0"), (uint)mode, dev);

    private static int MkFifo(string path, int mode) => MkFifoSys(Encoding.UTF8.GetBytes(path + "\0"), (uint)mode);

    [DllImport("libc", EntryPoint = "mknod", SetLastError = true)]
    private static extern int MkNodSys(byte[] path, uint mode, ulong dev);

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifoSys(byte[] path, uint mode);

    [DllImport("libc", EntryPoint = "mkdir", SetLastError = true)]
    private static extern int MkDir(byte[] path, uint mode);
}
