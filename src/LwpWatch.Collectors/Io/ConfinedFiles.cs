using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace LwpWatch.Collectors.Io;

/// <summary>
/// The two file operations the managed API cannot do safely. (1) Reading a file below a directory that a tenant
/// controls (an illumos zone root, where root in the zone owns everything below /zones/&lt;uuid&gt;/root): every
/// component is opened with openat(2) relative to its parent and O_NOFOLLOW, so no symlink, swapped in before or
/// during the walk, can point the daemon (root in the global zone) at another file; the last one also with
/// O_NONBLOCK so a FIFO cannot hang it, and its size comes from lseek so only seekable files are read. Checking
/// each component with lstat first and then opening the path would leave that race open. (2) A file's inode
/// number. Flag and errno values differ per OS and CPU; they are spelled out for the platforms the daemon runs
/// on and anything else says so instead of guessing.
/// </summary>
internal static class ConfinedFiles
{
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int EINTR = 4;
    private const int SeekEnd = 2;

    private static readonly Flags? Platform = Detect();

    public static bool Available => Platform is not null;

    /// <summary>See <see cref="IHostSource.ReadTailBeneath"/>.</summary>
    public static byte[]? ReadTailBeneath(string root, string relativePath, int maxBytes)
    {
        var f = Platform ?? throw new IOException($"reading below {root} without following symlinks is not implemented on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})");
        var parts = relativePath.Split('/');
        foreach (var part in parts)
        {
            if (part is "" or "." or ".." || part.Contains('\0', StringComparison.Ordinal))
            {
                throw new IOException($"refused '{relativePath}': only plain names below {root}");
            }
        }

        var dir = Open(-1, root, f.ReadOnly | f.Directory | f.CloseOnExec);
        if (dir < 0)
        {
            return Errno() == ENOENT ? null : throw Fail(root, "cannot open");
        }

        try
        {
            for (var i = 0; i < parts.Length - 1; i++)
            {
                var next = Open(dir, parts[i], f.ReadOnly | f.Directory | f.NoFollow | f.CloseOnExec);
                if (next < 0)
                {
                    var e = Errno();
                    return e == ENOENT ? null
                        : e == f.Loop || e == ENOTDIR ? throw new IOException($"refused {root}/{relativePath}: {parts[i]} is a symlink or not a directory")
                        : throw Fail($"{root}/{string.Join('/', parts[..(i + 1)])}", "cannot open");
                }

                _ = Close(dir);
                dir = next;
            }

            var fd = Open(dir, parts[^1], f.ReadOnly | f.NoFollow | f.NonBlock | f.NoCtty | f.CloseOnExec);
            if (fd < 0)
            {
                var e = Errno();
                return e == ENOENT ? null
                    : e == f.Loop ? throw new IOException($"refused {root}/{relativePath}: it is a symlink")
                    : throw Fail($"{root}/{relativePath}", "cannot open");
            }

            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            var size = Seek(fd, 0, SeekEnd);
            if (size < 0)
            {
                throw new IOException($"refused {root}/{relativePath}: not a regular file ({Marshal.GetPInvokeErrorMessage(Errno())})");
            }

            var start = Math.Max(0, size - maxBytes);
            var buffer = new byte[(int)Math.Min(size, maxBytes)];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read), start + read);
                if (n <= 0)
                {
                    break; // truncated while reading: what was there
                }

                read += n;
            }

            return read == buffer.Length ? buffer : buffer[..read];
        }
        finally
        {
            _ = Close(dir);
        }
    }

    /// <summary>st_ino of the file (following symlinks), or null when it does not exist or the platform is not one of ours.</summary>
    public static ulong? Inode(string path)
    {
        if (Platform is null)
        {
            return null;
        }

        // struct stat starts with st_dev then st_ino, both 8 bytes, on Linux x86-64 and arm64 (asm-generic) and on
        // 64-bit illumos (dev_t and ino_t are ulong_t there); the rest of the layout differs and is not read.
        Span<byte> buffer = stackalloc byte[512];
        try
        {
            int rc;
            var bytes = Encoding.UTF8.GetBytes(path + "\0");
            do
            {
                rc = Stat(bytes, ref MemoryMarshal.GetReference(buffer));
            }
            while (rc < 0 && Errno() == EINTR);
            return rc == 0 ? BitConverter.ToUInt64(buffer[8..16]) : null;
        }
        catch (EntryPointNotFoundException)
        {
            return null; // glibc before 2.33 exports only __xstat
        }
    }

    private static int Open(int dirFd, string name, int flags)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        int fd;
        do
        {
            fd = dirFd < 0 ? OpenPath(bytes, flags) : OpenAt(dirFd, bytes, flags);
        }
        while (fd < 0 && Errno() == EINTR);
        return fd;
    }

    private static int Errno() => Marshal.GetLastPInvokeError();

    private static IOException Fail(string path, string what) => new($"{what} {path}: {Marshal.GetPInvokeErrorMessage(Errno())}");

    private static Flags? Detect()
    {
        if (OperatingSystem.IsLinux())
        {
            // asm-generic/fcntl.h vs the x86 values; ELOOP 40 (asm-generic/errno.h).
            return RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => new Flags(0, 0x10000, 0x20000, 0x800, 0x100, 0x80000, 40),
                Architecture.Arm64 => new Flags(0, 0x4000, 0x8000, 0x800, 0x100, 0x80000, 40),
                _ => null,
            };
        }

        // illumos-gate usr/src/uts/common/sys/fcntl.h: O_NONBLOCK 0x80, O_NOCTTY 0x800, O_NOFOLLOW 0x20000,
        // O_CLOEXEC 0x800000, O_DIRECTORY 0x1000000; sys/errno.h ELOOP 90.
        return (RuntimeInformation.IsOSPlatform(OSPlatform.Create("ILLUMOS")) || RuntimeInformation.IsOSPlatform(OSPlatform.Create("SOLARIS"))) && RuntimeInformation.ProcessArchitecture == Architecture.X64
            ? new Flags(0, 0x1000000, 0x20000, 0x80, 0x800, 0x800000, 90)
            : null;
    }

    private sealed record Flags(int ReadOnly, int Directory, int NoFollow, int NonBlock, int NoCtty, int CloseOnExec, int Loop);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenPath(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAt(int dirFd, byte[] path, int flags);

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long Seek(int fd, long offset, int whence);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat(byte[] path, ref byte buffer);
}
