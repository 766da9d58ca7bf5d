using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using LwpWatch.Core.Model;

namespace LwpWatch.Collectors.Io;

/// <summary>
/// The syscall floor for the per-cgroup hot path on Linux, and the byte-exact access tenant-named cgroups need:
/// open+read+close of a small file, one getdents64 pass per directory (none for a leaf cgroup, whose link count
/// says it has no subdirectories: <see cref="LinkCount"/>), files and subdirectories opened relative
/// to a directory fd (openat), paths of any length and of any bytes. The managed equivalents add an fstat and two
/// flock calls per file, a second read to see EOF, an lstat per listed directory and an exception per missing
/// file (bench/collect), stop at PATH_MAX (a tenant's 16 nested 255-byte names already make a 4080-byte path)
/// and cannot name bytes that are not UTF-8.
/// Paths and names come in and go out in the escaped form of <see cref="CgroupName"/> (plain UTF-8 unless a
/// byte is not UTF-8 or is a backslash). Results: a count or fd (>= 0), <see cref="Gone"/> (ENOENT, ESRCH,
/// ENODEV, ENOTDIR: the entry went away between listing and reading), <see cref="Unsupported"/> (a C library
/// without getdents64); any other errno is an <see cref="IOException"/> naming the path and the error.
/// </summary>
internal static class NativeLinuxFiles
{
    /// <summary>The path does not exist (anymore).</summary>
    public const int Gone = -1;

    /// <summary>Not handled here; use the managed API.</summary>
    public const int Unsupported = -2;

    /// <summary>Paths up to this many bytes (with the NUL) go to one open(2); longer ones are opened a chunk at a time.</summary>
    public const int PathMax = 4096;

    private const int ORdOnly = 0;

    // Every file is opened non-blocking: attribute and regular files ignore it, and a FIFO where a file was
    // expected (a fixture tree, a capture) reads as empty or fails instead of hanging the poll on open.
    private const int ONonBlock = 0x800;
    private const int FileFlags = ORdOnly | ONonBlock | OCloExec;
    private const int OCloExec = 0x80000; // the daemon starts subprocesses: never leak an fd into them
    private const int OPath = 0x200000;
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const int StatxBasicStats = 0x7ff;

    /// <summary>S_IFMT and the two file types that matter here.</summary>
    public const int SIfMt = 0xF000;
    public const int SIfReg = 0x8000;
    public const int SIfDir = 0x4000;

    // O_DIRECTORY and O_NOFOLLOW are among the few flags whose values differ between x86-64 and arm64
    // (arch/arm64/include/uapi/asm/fcntl.h).
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    private const int ONoCtty = 0x100;
    private const ulong ResolveNoMagicLinks = 0x02;
    private const ulong ResolveBeneath = 0x08;

    // openat2 is 437 on every architecture (include/uapi/asm-generic/unistd.h; x86-64 uses the same number).
    private const nint SysOpenat2 = 437;
    private const int EPERM = 1;
    private const int E2BIG = 7;
    private const int EXDEV = 18;
    private const int ENOSYS = 38;

    private static bool openat2Available = true;

    private const int ENOENT = 2;
    private const int ESRCH = 3;
    private const int EINTR = 4;
    private const int ENODEV = 19;
    private const int ENOTDIR = 20;
    private const int ELOOP = 40;
    private const byte DtDir = 4;
    private const byte DtUnknown = 0;

    // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name[] (the kernel's own layout).
    private const int DirentTypeOffset = 18;
    private const int DirentNameOffset = 19;
    private const int StackPath = 1024;

    private static bool getdentsAvailable = true;

    /// <summary>Linux on x86-64 or arm64: where the struct layout and flag values here are known to hold.</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Flags for a directory to read entries from.</summary>
    public static int DirectoryFlags => ORdOnly | ODirectory | OCloExec;

    /// <summary>
    /// Bytes read into <paramref name="buffer"/> from <paramref name="directory"/>/<paramref name="fileName"/>, or
    /// <see cref="Gone"/>. One read: procfs and sysfs attribute files return their whole record in one read when the
    /// buffer is larger, and regular files only read short at end of file, so a short read is the end (a full
    /// buffer tells the caller to re-read the file whole).
    /// </summary>
    public static int ReadSmallFile(string directory, string fileName, Span<byte> buffer)
    {
        var fd = Open(directory + "/" + fileName, FileFlags);
        return fd < 0 ? fd : ReadOnceAndClose(fd, buffer, directory, fileName);
    }

    /// <summary><see cref="ReadSmallFile(string, string, Span{byte})"/> for a file of an open directory: one path component to look up.</summary>
    public static int ReadSmallFileAt(int dirFd, string dirPath, string fileName, Span<byte> buffer)
    {
        var fd = OpenAt(dirFd, dirPath, fileName, FileFlags);
        return fd < 0 ? fd : ReadOnceAndClose(fd, buffer, dirPath, fileName);
    }

    /// <summary>
    /// Up to <paramref name="maxBytes"/> of the file into <paramref name="buffer"/> (rented from the shared pool and
    /// grown as needed; the caller returns it), reading until end of file. 0 or <see cref="Gone"/>.
    /// </summary>
    public static int ReadFile(string path, int maxBytes, ref byte[]? buffer, out int length)
    {
        length = 0;
        var fd = Open(path, FileFlags);
        return fd < 0 ? fd : ReadAllAndClose(fd, maxBytes, ref buffer, out length, path, null);
    }

    /// <summary><see cref="ReadFile"/> for a file of an open directory.</summary>
    public static int ReadFileAt(int dirFd, string dirPath, string fileName, int maxBytes, ref byte[]? buffer, out int length)
    {
        length = 0;
        var fd = OpenAt(dirFd, dirPath, fileName, FileFlags);
        return fd < 0 ? fd : ReadAllAndClose(fd, maxBytes, ref buffer, out length, dirPath, fileName);
    }

    /// <summary>A directory handle for the *At calls and <see cref="ReadEntries"/>: the fd or <see cref="Gone"/>. Follows symlinks, like a path lookup.</summary>
    public static int OpenDirectory(string path) => Open(path, DirectoryFlags);

    /// <summary>
    /// The subdirectory <paramref name="name"/> (one escaped component) of an open directory, never through a
    /// symlink: the fd, or <see cref="Gone"/> (removed, or replaced by something that is not a directory).
    /// </summary>
    public static int OpenSubdirectory(int dirFd, string dirPath, string name) => OpenAt(dirFd, dirPath, name, DirectoryFlags | ONoFollow);

    /// <summary>What is at the path: 1 directory, 2 anything else that exists, 0 nothing (following symlinks, like stat).</summary>
    public static int Kind(string path)
    {
        var fd = Open(path, OPath | ODirectory | OCloExec, throwOn: false);
        if (fd >= 0)
        {
            _ = Close(fd);
            return 1;
        }

        fd = Open(path, OPath | OCloExec, throwOn: false);
        if (fd >= 0)
        {
            _ = Close(fd);
            return 2;
        }

        return 0;
    }

    public static void CloseDirectory(int fd) => _ = Close(fd);

    /// <summary>What <see cref="OpenBeneath"/> answers besides an fd.</summary>
    public enum Beneath
    {
        Opened,
        Missing,
        Escapes,
        TooManyLinks,
        Unsupported,
    }

    /// <summary>
    /// openat2(2) of <paramref name="relative"/> (taken literally: UTF-8, no unescaping) beneath the directory
    /// <paramref name="rootFd"/> with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: every component, and every
    /// component of every symlink met on the way, is resolved by the kernel inside the root; an absolute symlink
    /// or a '..' that would climb out fails (EXDEV) instead of leaving it. O_NONBLOCK, so a FIFO never hangs the
    /// open. <see cref="Beneath.Unsupported"/> on kernels before 5.6 or when a seccomp filter refuses the call.
    /// </summary>
    public static Beneath OpenBeneath(int rootFd, string relative, bool directory, out int fd)
    {
        fd = -1;
        if (!openat2Available)
        {
            return Beneath.Unsupported;
        }

        var bytes = Encoding.UTF8.GetBytes(relative + "\0");
        var how = new OpenHow
        {
            Flags = (ulong)(ORdOnly | ONonBlock | OCloExec | ONoCtty | (directory ? ODirectory : 0)),
            Resolve = ResolveBeneath | ResolveNoMagicLinks,
        };
        nint rc;
        try
        {
            do
            {
                rc = Syscall(SysOpenat2, rootFd, ref bytes[0], ref how, Marshal.SizeOf<OpenHow>());
            }
            while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
        }
        catch (EntryPointNotFoundException)
        {
            openat2Available = false;
            return Beneath.Unsupported;
        }

        if (rc >= 0)
        {
            fd = (int)rc;
            return Beneath.Opened;
        }

        var errno = Marshal.GetLastPInvokeError();
        switch (errno)
        {
            case ENOENT or ENOTDIR:
                return Beneath.Missing;
            case EXDEV:
                return Beneath.Escapes;
            case ELOOP:
                return Beneath.TooManyLinks;
            case ENOSYS or EPERM or E2BIG:
                openat2Available = false;
                return Beneath.Unsupported;
            default:
                throw Error(errno, relative, null);
        }
    }

    /// <summary>
    /// Appends the raw names (bytes) in the getdents64 records to <paramref name="names"/>, "." and ".." left out;
    /// only real subdirectories when <paramref name="directoriesOnly"/> (never a symlink to one; an entry without
    /// d_type is probed no-follow, relative to <paramref name="dirFd"/>).
    /// </summary>
    public static void ParseRawNames(int dirFd, ReadOnlySpan<byte> entries, bool directoriesOnly, List<byte[]> names)
    {
        for (var off = 0; off < entries.Length;)
        {
            var rec = entries[off..];
            var reclen = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(rec[16..]);
            off += reclen;
            var nameBytes = EntryName(rec, reclen);
            if (nameBytes.SequenceEqual("."u8) || nameBytes.SequenceEqual(".."u8))
            {
                continue;
            }

            var type = rec[DirentTypeOffset];
            if (directoriesOnly && type != DtDir)
            {
                if (type != DtUnknown)
                {
                    continue;
                }

                var z = new byte[nameBytes.Length + 1];
                nameBytes.CopyTo(z);
                int fd;
                do
                {
                    fd = OpenAtSys(dirFd, ref z[0], OPath | ODirectory | ONoFollow | OCloExec);
                }
                while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

                if (fd < 0)
                {
                    continue;
                }

                _ = Close(fd);
            }

            names.Add(nameBytes.ToArray());
        }
    }

    /// <summary>Reads exactly up to <paramref name="count"/> bytes from the start of an open file (fewer if it is shorter now).</summary>
    public static byte[] ReadExactly(int fd, string path, int count)
    {
        var buffer = new byte[count];
        var total = 0;
        while (total < count)
        {
            nint n;
            do
            {
                n = Read(fd, ref buffer[total], count - total);
            }
            while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);

            if (n < 0)
            {
                throw Error(Marshal.GetLastPInvokeError(), path, null);
            }

            if (n == 0)
            {
                break;
            }

            total += (int)n;
        }

        return total == count ? buffer : buffer[..total];
    }

    /// <summary>Last modification time of what the path names (following symlinks), or null when it does not exist.</summary>
    public static DateTimeOffset? ModifiedTime(string path)
    {
        var fd = Open(path, OPath | OCloExec);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            return Stat(fd, path, out _, out _, out var mtime) ? mtime : null;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // include/uapi/linux/magic.h: the two cgroup file systems (kernfs underneath).
    private const long CgroupSuperMagic = 0x27e0eb;
    private const long Cgroup2SuperMagic = 0x63677270;
    private const int StatxNlink = 0x4;

    /// <summary>
    /// Whether the open fd is on cgroupfs (v1 or v2): f_type of fstatfs(2), the first field of struct statfs on
    /// x86-64 and arm64 alike (a long). False when it cannot tell.
    /// </summary>
    public static bool IsCgroupFs(int fd)
    {
        Span<byte> buf = stackalloc byte[256];
        int rc;
        try
        {
            do
            {
                rc = FStatFs(fd, ref MemoryMarshal.GetReference(buf));
            }
            while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }

        var type = rc < 0 ? 0 : System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(buf);
        return type is CgroupSuperMagic or Cgroup2SuperMagic;
    }

    /// <summary>
    /// The link count of an open directory (stx_nlink of statx(2), offset 16 of struct statx), or -1 when it cannot be
    /// read. On kernfs a directory's is its subdirectories + 2, refreshed on every stat (fs/kernfs/inode.c,
    /// kernfs_refresh_inode: set_nlink(inode, kn->dir.subdirs + 2), called from kernfs_iop_getattr).
    /// </summary>
    public static long LinkCount(int fd)
    {
        Span<byte> buf = stackalloc byte[256];

        // stx_mask says whether the kernel filled stx_nlink at all.
        return StatxOf(fd, StatxNlink, buf) != 0 || (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buf) & StatxNlink) == 0
            ? -1
            : System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buf[16..]);
    }

    /// <summary>statx(2) of an open fd into <paramref name="buf"/>: 0, -1 (the errno in Marshal.GetLastPInvokeError), or null when the C library has no statx.</summary>
    private static int? StatxOf(int fd, int mask, Span<byte> buf)
    {
        Span<byte> empty = stackalloc byte[1];
        int rc;
        try
        {
            do
            {
                rc = StatX(fd, ref MemoryMarshal.GetReference(empty), AtEmptyPath, mask, ref MemoryMarshal.GetReference(buf));
            }
            while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }

        return rc;
    }

    /// <summary>
    /// statx of an open fd: file type bits (S_IFMT of st_mode), size and mtime. struct statx has one layout on every
    /// architecture (include/uapi/linux/stat.h), unlike struct stat. False when the C library has no statx.
    /// </summary>
    public static bool Stat(int fd, string path, out int type, out long size, out DateTimeOffset mtime)
    {
        type = 0;
        size = 0;
        mtime = default;
        Span<byte> buf = stackalloc byte[256];
        var rc = StatxOf(fd, StatxBasicStats, buf);
        if (rc is null)
        {
            return false;
        }

        if (rc < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), path, null);
        }

        type = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(buf[28..]) & SIfMt;
        size = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(buf[40..]);
        var sec = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(buf[112..]);
        var nsec = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buf[120..]);
        mtime = DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(nsec / 100);
        return true;
    }

    /// <summary>
    /// Every entry of an open directory, as the raw getdents64 records, into <paramref name="buffer"/> (rented from
    /// the shared pool, grown as needed; the caller returns it). 0, <see cref="Gone"/> or <see cref="Unsupported"/>.
    /// One listing answers both "which subdirectories" and "which files exist", so a file that is not there
    /// (pids.events.local on every v1 cgroup) costs no failed open.
    /// </summary>
    public static int ReadEntries(int dirFd, string dirPath, ref byte[]? buffer, out int length)
    {
        length = 0;
        if (!getdentsAvailable)
        {
            return Unsupported;
        }

        buffer ??= ArrayPool<byte>.Shared.Rent(8 * 1024);
        while (true)
        {
            if (buffer.Length - length < 4096)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
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
                var errno = Marshal.GetLastPInvokeError();
                return IsGone(errno) ? Gone : throw Error(errno, dirPath, null);
            }

            length += (int)n;
        }
    }

    /// <summary>Whether the getdents64 records hold an entry named <paramref name="name"/> (an escaped name).</summary>
    public static bool HasEntry(ReadOnlySpan<byte> entries, string name)
    {
        byte[]? rented = null;
        try
        {
            var wanted = Encode(name, stackalloc byte[StackPath], ref rented);
            if (wanted.IsEmpty)
            {
                return false;
            }

            wanted = wanted[..^1];
            for (var off = 0; off < entries.Length;)
            {
                var rec = entries[off..];
                var reclen = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(rec[16..]);
                off += reclen;
                if (EntryName(rec, reclen).SequenceEqual(wanted))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            Return(rented);
        }
    }

    /// <summary>
    /// Appends the real subdirectories (not symlinks, not "." or "..") in the getdents64 records to
    /// <paramref name="names"/>, escaped. A filesystem that gives no d_type gets an O_NOFOLLOW probe per such entry.
    /// </summary>
    public static void ParseDirectories(int dirFd, string dirPath, ReadOnlySpan<byte> entries, List<string> names)
    {
        for (var off = 0; off < entries.Length;)
        {
            var rec = entries[off..];
            var reclen = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(rec[16..]);
            off += reclen;
            var type = rec[DirentTypeOffset];
            if (type != DtDir && type != DtUnknown)
            {
                continue;
            }

            var nameBytes = EntryName(rec, reclen);
            if (nameBytes.SequenceEqual("."u8) || nameBytes.SequenceEqual(".."u8))
            {
                continue;
            }

            var name = EscapedName(nameBytes);
            if (type == DtUnknown)
            {
                // This filesystem does not fill d_type: a no-follow directory open tells a directory from a symlink.
                var fd = OpenAt(dirFd, dirPath, name, OPath | ODirectory | ONoFollow | OCloExec, throwOn: false);
                if (fd < 0)
                {
                    continue;
                }

                _ = Close(fd);
            }

            names.Add(name);
        }
    }

    /// <summary>Appends every entry name but "." and ".." in the getdents64 records to <paramref name="names"/>, escaped.</summary>
    public static void ParseEntries(ReadOnlySpan<byte> entries, List<string> names)
    {
        for (var off = 0; off < entries.Length;)
        {
            var rec = entries[off..];
            var reclen = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(rec[16..]);
            off += reclen;
            var nameBytes = EntryName(rec, reclen);
            if (!nameBytes.SequenceEqual("."u8) && !nameBytes.SequenceEqual(".."u8))
            {
                names.Add(EscapedName(nameBytes));
            }
        }
    }

    /// <summary>
    /// The escaped string of a raw name: plain UTF-8 decoding for the usual name (valid UTF-8, no backslash),
    /// <see cref="CgroupName.Escape"/> otherwise.
    /// </summary>
    public static string EscapedName(ReadOnlySpan<byte> raw) =>
        raw.IndexOf((byte)'\\') < 0 && Utf8.IsValid(raw) ? Encoding.UTF8.GetString(raw) : CgroupName.Escape(raw);

    /// <summary>Whether a path string needs no unescaping: the managed APIs see exactly the same path.</summary>
    public static bool IsPlain(string path) => !path.Contains('\\', StringComparison.Ordinal);

    private static ReadOnlySpan<byte> EntryName(ReadOnlySpan<byte> rec, int reclen)
    {
        var name = rec[DirentNameOffset..reclen];
        var end = name.IndexOf((byte)0);
        return end < 0 ? name : name[..end];
    }

    /// <summary>
    /// The NUL-terminated bytes of an escaped path, in <paramref name="stack"/> when they fit, else in a rented
    /// array (returned through <paramref name="rented"/>). Empty when the path cannot name anything (holds a NUL).
    /// </summary>
    private static Span<byte> Encode(string path, Span<byte> stack, ref byte[]? rented)
    {
        if (IsPlain(path))
        {
            if (path.Contains('\0', StringComparison.Ordinal))
            {
                return default;
            }

            var max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
            var dest = max <= stack.Length ? stack : (rented = ArrayPool<byte>.Shared.Rent(max));
            var n = Encoding.UTF8.GetBytes(path, dest);
            dest[n] = 0;
            return dest[..(n + 1)];
        }

        var raw = CgroupName.Unescape(path);
        if (raw.AsSpan().IndexOf((byte)0) >= 0)
        {
            return default;
        }

        var d = raw.Length + 1 <= stack.Length ? stack : (rented = ArrayPool<byte>.Shared.Rent(raw.Length + 1));
        raw.CopyTo(d);
        d[raw.Length] = 0;
        return d[..(raw.Length + 1)];
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int Open(string path, int flags, bool throwOn = true)
    {
        byte[]? rented = null;
        try
        {
            var p = Encode(path, stackalloc byte[StackPath], ref rented);
            if (p.IsEmpty)
            {
                return Gone;
            }

            var fd = OpenAny(p, flags);
            return fd >= 0 ? fd : IsGone(-fd) || !throwOn ? Gone : throw Error(-fd, path, null);
        }
        finally
        {
            Return(rented);
        }
    }

    private static int OpenAt(int dirFd, string dirPath, string name, int flags, bool throwOn = true)
    {
        byte[]? rented = null;
        try
        {
            var p = Encode(name, stackalloc byte[StackPath], ref rented);
            if (p.IsEmpty || p[..^1].IndexOf((byte)'/') >= 0)
            {
                return Gone; // not one component: nothing this directory can hold
            }

            int fd;
            do
            {
                fd = OpenAtSys(dirFd, ref MemoryMarshal.GetReference(p), flags);
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

            if (fd >= 0)
            {
                return fd;
            }

            var errno = Marshal.GetLastPInvokeError();

            // ELOOP: O_NOFOLLOW met a symlink where the listing saw a directory (replaced since): gone as a directory.
            return IsGone(errno) || errno == ELOOP || !throwOn ? Gone : throw Error(errno, dirPath, name);
        }
        finally
        {
            Return(rented);
        }
    }

    /// <summary>
    /// open(2) of a NUL-terminated path of any length; fd or -errno. Beyond PATH_MAX the leading directories are
    /// opened a chunk at a time (O_PATH, each chunk ending at a '/'), then the rest relative to them: the same
    /// component-by-component lookup the kernel does, without its whole-path length limit.
    /// </summary>
    private static int OpenAny(Span<byte> pathZ, int flags)
    {
        var len = pathZ.Length - 1;
        var dir = AtFdCwd;
        var start = 0;
        try
        {
            while (len - start >= PathMax)
            {
                var cut = pathZ.Slice(start, PathMax - 1).LastIndexOf((byte)'/');
                if (cut <= 0)
                {
                    return -36; // ENAMETOOLONG: a single component this long cannot exist
                }

                cut += start;
                pathZ[cut] = 0;
                var next = Retry(dir, pathZ[start..], OPath | ODirectory | OCloExec);
                pathZ[cut] = (byte)'/';
                if (next < 0)
                {
                    return next;
                }

                if (dir != AtFdCwd)
                {
                    _ = Close(dir);
                }

                dir = next;
                start = cut + 1;
            }

            return Retry(dir, pathZ[start..], flags);
        }
        finally
        {
            if (dir != AtFdCwd)
            {
                _ = Close(dir);
            }
        }
    }

    private static int Retry(int dir, Span<byte> pathZ, int flags)
    {
        int fd;
        do
        {
            fd = OpenAtSys(dir, ref MemoryMarshal.GetReference(pathZ), flags);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    private static bool IsGone(int errno) => errno is ENOENT or ESRCH or ENODEV or ENOTDIR;

    private static IOException Error(int errno, string path, string? name)
    {
        var where = name is null ? path : path + "/" + name;
        return new HostIOException(where, Marshal.GetPInvokeErrorMessage(errno));
    }

    private static int ReadOnceAndClose(int fd, Span<byte> buffer, string path, string? name)
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
                // ESRCH/ENODEV: the process or cgroup went away between open and read.
                var errno = Marshal.GetLastPInvokeError();
                return IsGone(errno) ? Gone : throw Error(errno, path, name);
            }

            return (int)n;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static int ReadAllAndClose(int fd, int maxBytes, ref byte[]? buffer, out int length, string path, string? name)
    {
        length = 0;
        try
        {
            buffer ??= ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(maxBytes, 1), 4096));
            while (length < maxBytes)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, Math.Max(maxBytes, buffer.Length + 1)));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                nint n;
                do
                {
                    n = Read(fd, ref buffer[length], Math.Min(buffer.Length, maxBytes) - length);
                }
                while (n < 0 && Marshal.GetLastPInvokeError() == EINTR);

                if (n == 0)
                {
                    return 0;
                }

                if (n < 0)
                {
                    length = 0;
                    var errno = Marshal.GetLastPInvokeError();
                    return IsGone(errno) ? Gone : throw Error(errno, path, name);
                }

                length += (int)n;
            }

            return 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAtSys(int dirFd, ref byte path, int flags);

    [DllImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static extern nint GetDents64(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, ref byte buffer, nint count);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int StatX(int dirFd, ref byte path, int flags, int mask, ref byte statx);

    [DllImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    private static extern int FStatFs(int fd, ref byte statfs);

    /// <summary>struct open_how (include/uapi/linux/openat2.h): flags, mode, resolve, each a u64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    // Called through syscall(2): a C library need not wrap openat2. syscall passes its integer arguments in registers on x86-64 and
    // arm64 alike.
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern nint Syscall(nint number, nint dirFd, ref byte path, ref OpenHow how, nint size);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}

/// <summary>An I/O error of a native host read: <see cref="Path"/> (escaped) and the system's <see cref="Reason"/>.</summary>
public sealed class HostIOException(string path, string reason) : IOException($"{path}: {reason}")
{
    public string Path { get; } = path;

    public string Reason { get; } = reason;
}
