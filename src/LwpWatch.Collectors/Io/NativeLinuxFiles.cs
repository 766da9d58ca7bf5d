using System.Runtime.InteropServices;
using System.Text;

namespace LwpWatch.Collectors.Io;

/// <summary>
/// The syscall floor for the per-cgroup hot path on Linux: open+read+close of a small file and one
/// opendir/readdir pass per directory, with the path built in a stack buffer. The managed equivalents add
/// an fstat and two flock calls per file, a second read to see EOF, an lstat per listed directory and an
/// exception per missing file (pids.events.local on every v1 cgroup), which made a poll of 1,000 cgroups
/// several times slower than a C reader (bench/collect). Anything unusual (a long path, an errno other than
/// "gone", a filesystem without d_type) returns <see cref="Unsupported"/> and the caller takes the managed
/// path, so error types and messages stay exactly those of the managed APIs.
/// </summary>
internal static class NativeLinuxFiles
{
    /// <summary>The path does not exist (anymore): ENOENT, or ESRCH for a /proc/&lt;pid&gt; that exited.</summary>
    public const int Gone = -1;

    /// <summary>Not handled here; use the managed API (which raises the usual exceptions).</summary>
    public const int Unsupported = -2;

    private const int ORdOnly = 0;
    // O_DIRECTORY is one of the few flags whose value differs between x86-64 and arm64.
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    private const int OCloExec = 0x80000; // Linux value: the daemon starts subprocesses, so never leak an fd into them
    private const int ENOENT = 2;
    private const int ESRCH = 3;
    private const int EINTR = 4;
    private const byte DtDir = 4;
    private const byte DtUnknown = 0;

    // glibc and musl share this struct dirent layout on 64-bit Linux: d_ino u64, d_off i64, d_reclen u16,
    // d_type u8, d_name[].
    private const int DirentTypeOffset = 18;
    private const int DirentNameOffset = 19;
    private const int MaxPathBytes = 1024;

    private static bool getdentsAvailable = true;

    /// <summary>Linux on x86-64 or arm64: where the struct layout and flag values here are known to hold.</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// Bytes read into <paramref name="buffer"/>, <see cref="Gone"/> or <see cref="Unsupported"/>. One read: procfs
    /// and sysfs attribute files return their whole record in one read when the buffer is larger, and regular
    /// files only read short at end of file, so a short read is the end (a full buffer tells the caller to
    /// re-read the file whole).
    /// </summary>
    public static int ReadSmallFile(string directory, string fileName, Span<byte> buffer)
    {
        Span<byte> path = stackalloc byte[MaxPathBytes];
        if (!TryEncodePath(directory, fileName, path))
        {
            return Unsupported;
        }

        int fd;
        do
        {
            fd = Open(ref MemoryMarshal.GetReference(path), ORdOnly | OCloExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError() is ENOENT or ESRCH ? Gone : Unsupported;
        }

        return ReadAndClose(fd, buffer);
    }

    /// <summary>
    /// The whole file into <paramref name="buffer"/> (rented from the shared pool and grown as needed; the caller
    /// returns it), reading until end of file. Returns 0, <see cref="Gone"/> or <see cref="Unsupported"/>.
    /// </summary>
    public static int ReadWholeFile(string path, ref byte[]? buffer, out int length)
    {
        length = 0;
        Span<byte> p = stackalloc byte[MaxPathBytes];
        if (!TryEncodePath(path, null, p))
        {
            return Unsupported;
        }

        int fd;
        do
        {
            fd = Open(ref MemoryMarshal.GetReference(p), ORdOnly | OCloExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError() is ENOENT or ESRCH ? Gone : Unsupported;
        }

        try
        {
            buffer ??= System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                nint n;
                do
                {
                    n = Read(fd, ref buffer[length], buffer.Length - length);
                }
                while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);

                if (n == 0)
                {
                    return 0;
                }

                if (n < 0)
                {
                    length = 0;
                    return Marshal.GetLastPInvokeError() == ESRCH ? Gone : Unsupported;
                }

                length += (int)n;
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>A directory handle for <see cref="ReadSmallFileAt"/> and <see cref="ReadEntries"/>: the fd, <see cref="Gone"/> or <see cref="Unsupported"/>.</summary>
    public static int OpenDirectory(string directory)
    {
        Span<byte> path = stackalloc byte[MaxPathBytes];
        if (!TryEncodePath(directory, null, path))
        {
            return Unsupported;
        }

        int fd;
        do
        {
            fd = Open(ref MemoryMarshal.GetReference(path), ORdOnly | ODirectory | OCloExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        return fd >= 0 ? fd : Marshal.GetLastPInvokeError() == ENOENT ? Gone : Unsupported;
    }

    public static void CloseDirectory(int fd) => _ = Close(fd);

    /// <summary><see cref="ReadSmallFile"/> for a file of an open directory: one path component to look up.</summary>
    public static int ReadSmallFileAt(int dirFd, string fileName, Span<byte> buffer)
    {
        Span<byte> name = stackalloc byte[MaxPathBytes];
        if (fileName.Contains('/', StringComparison.Ordinal) || !TryEncodePath(fileName, null, name))
        {
            return Unsupported;
        }

        int fd;
        do
        {
            fd = OpenAt(dirFd, ref MemoryMarshal.GetReference(name), ORdOnly | OCloExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError() is ENOENT or ESRCH ? Gone : Unsupported;
        }

        return ReadAndClose(fd, buffer);
    }

    /// <summary>
    /// Every entry of an open directory, as the raw getdents64 records, into <paramref name="buffer"/> (rented from
    /// the shared pool, grown as needed; the caller returns it). Returns 0, <see cref="Gone"/> or <see cref="Unsupported"/>.
    /// One listing answers both "which subdirectories" and "which files exist", so a file that is not there
    /// (pids.events.local on every v1 cgroup) costs no failed open.
    /// </summary>
    public static int ReadEntries(int dirFd, ref byte[]? buffer, out int length)
    {
        length = 0;
        if (!getdentsAvailable)
        {
            return Unsupported;
        }

        buffer ??= System.Buffers.ArrayPool<byte>.Shared.Rent(8 * 1024);
        while (true)
        {
            if (buffer.Length - length < 4096)
            {
                var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(bigger);
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }

            nint n;
            try
            {
                do
                {
                    n = GetDents64(dirFd, ref buffer[length], buffer.Length - length);
                }
                while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);
            }
            catch (EntryPointNotFoundException)
            {
                // C libraries without a getdents64 wrapper (glibc < 2.30): the managed listing it is.
                getdentsAvailable = false;
                return Unsupported;
            }

            if (n == 0)
            {
                return 0;
            }

            if (n < 0)
            {
                length = 0;
                return Marshal.GetLastPInvokeError() == ENOENT ? Gone : Unsupported;
            }

            length += (int)n;
        }
    }

    /// <summary>Whether the getdents64 records hold an entry named <paramref name="name"/>.</summary>
    public static bool HasEntry(ReadOnlySpan<byte> entries, string name)
    {
        Span<byte> wanted = stackalloc byte[MaxPathBytes];
        if (!TryEncodePath(name, null, wanted))
        {
            return true; // cannot tell: let the open decide
        }

        wanted = wanted[..wanted.IndexOf((byte)0)];
        for (var off = 0; off < entries.Length;)
        {
            var rec = entries[off..];
            var reclen = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(rec[16..]);
            off += reclen;
            var entryName = rec[DirentNameOffset..reclen];
            var end = entryName.IndexOf((byte)0);
            if ((end < 0 ? entryName : entryName[..end]).SequenceEqual(wanted))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Appends the real subdirectories (not symlinks, not "." or "..") in the getdents64 records to
    /// <paramref name="names"/>; <see cref="Unsupported"/> (names untouched) when the filesystem gives no d_type.
    /// </summary>
    public static int ParseDirectories(ReadOnlySpan<byte> entries, List<string> names)
    {
        var start = names.Count;
        for (var off = 0; off < entries.Length;)
        {
            var rec = entries[off..];
            var reclen = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(rec[16..]);
            off += reclen;
            var type = rec[DirentTypeOffset];
            if (type == DtUnknown)
            {
                // This filesystem does not fill d_type; telling a directory from a symlink needs a stat per entry.
                names.RemoveRange(start, names.Count - start);
                return Unsupported;
            }

            if (type != DtDir)
            {
                continue;
            }

            var nameBytes = rec[DirentNameOffset..reclen];
            nameBytes = nameBytes[..nameBytes.IndexOf((byte)0)];
            if (nameBytes.SequenceEqual("."u8) || nameBytes.SequenceEqual(".."u8))
            {
                continue;
            }

            names.Add(Encoding.UTF8.GetString(nameBytes));
        }

        return 0;
    }

    private static int ReadAndClose(int fd, Span<byte> buffer)
    {
        try
        {
            nint n;
            do
            {
                n = Read(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            }
            while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);

            if (n < 0)
            {
                // ESRCH: the process exited between open and read; anything else (EISDIR...) goes managed.
                return Marshal.GetLastPInvokeError() == ESRCH ? Gone : Unsupported;
            }

            return (int)n;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Appends the names of the real subdirectories of <paramref name="directory"/> (not symlinks, not "." or "..")
    /// to <paramref name="names"/> in readdir order. Returns 0, <see cref="Gone"/> or <see cref="Unsupported"/>
    /// (then <paramref name="names"/> is left as it was).
    /// </summary>
    public static int ListDirectories(string directory, List<string> names)
    {
        Span<byte> path = stackalloc byte[MaxPathBytes];
        if (!TryEncodePath(directory, null, path))
        {
            return Unsupported;
        }

        var dir = OpenDir(ref MemoryMarshal.GetReference(path));
        if (dir == IntPtr.Zero)
        {
            return Marshal.GetLastPInvokeError() == ENOENT ? Gone : Unsupported;
        }

        var start = names.Count;
        try
        {
            while (true)
            {
                var entry = ReadDir(dir);
                if (entry == IntPtr.Zero)
                {
                    if (Marshal.GetLastPInvokeError() != 0)
                    {
                        names.RemoveRange(start, names.Count - start);
                        return Unsupported;
                    }

                    return 0;
                }

                var type = Marshal.ReadByte(entry, DirentTypeOffset);
                if (type == DtUnknown)
                {
                    // This filesystem does not fill d_type; telling a directory from a symlink needs a stat per entry.
                    names.RemoveRange(start, names.Count - start);
                    return Unsupported;
                }

                if (type != DtDir)
                {
                    continue;
                }

                var name = Marshal.PtrToStringUTF8(entry + DirentNameOffset);
                if (name is null or "." or "..")
                {
                    continue;
                }

                names.Add(name);
            }
        }
        finally
        {
            _ = CloseDir(dir);
        }
    }

    /// <summary>UTF-8 "directory/fileName\0" (or "directory\0"); false when it would not fit or holds a NUL.</summary>
    private static bool TryEncodePath(string directory, string? fileName, Span<byte> path)
    {
        var chars = directory.Length + (fileName?.Length ?? 0);
        if (chars * 3 + 2 > path.Length || directory.Contains('\0', StringComparison.Ordinal) || (fileName?.Contains('\0', StringComparison.Ordinal) ?? false))
        {
            return false;
        }

        var n = Encoding.UTF8.GetBytes(directory, path);
        if (fileName is not null)
        {
            path[n++] = (byte)'/';
            n += Encoding.UTF8.GetBytes(fileName, path[n..]);
        }

        path[n] = 0;
        return true;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(ref byte path, int flags);

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAt(int dirFd, ref byte path, int flags);

    [DllImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static extern nint GetDents64(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "opendir", SetLastError = true)]
    private static extern IntPtr OpenDir(ref byte path);

    [DllImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static extern IntPtr ReadDir(IntPtr dir);

    [DllImport("libc", EntryPoint = "closedir")]
    private static extern int CloseDir(IntPtr dir);
}
