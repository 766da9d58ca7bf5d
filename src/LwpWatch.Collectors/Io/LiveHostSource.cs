using System.Buffers;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Model;

namespace LwpWatch.Collectors.Io;

/// <summary>
/// The real machine. On Linux (x86-64, arm64) every file and directory access is native (<see cref="NativeLinuxFiles"/>):
/// byte-exact names, no path length limit, no exception for a missing file. Elsewhere the managed APIs, which can
/// name only paths whose unescaped bytes are UTF-8. D-Bus calls go through <paramref name="bus"/> (the process-wide
/// client by default).
/// </summary>
public sealed class LiveHostSource(CommandRunner runner, DBusClient? bus = null) : IHostSource
{
    /// <summary>Paths up to this many characters are short enough for the managed APIs whatever they hold (3 bytes per char &lt; PATH_MAX).</summary>
    private const int ManagedSafeChars = 1000;

    public string? ReadText(string path)
    {
        if (!NativeLinuxFiles.Available)
        {
            return Managed(() => File.ReadAllText(ManagedPath(path)));
        }

        byte[]? buffer = null;
        try
        {
            var rc = NativeLinuxFiles.ReadFile(path, Array.MaxLength, ref buffer, out var length);
            return rc == NativeLinuxFiles.Gone ? null : DecodeLikeReadAllText(buffer.AsSpan(0, length));
        }
        finally
        {
            Return(buffer);
        }
    }

    /// <summary>Exactly File.ReadAllText's decoding: UTF-8, byte order marks honoured, invalid bytes replaced.</summary>
    internal static string DecodeLikeReadAllText(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Ascii.IsValid(bytes))
        {
            return System.Text.Encoding.ASCII.GetString(bytes);
        }

        using var reader = new StreamReader(new MemoryStream(bytes.ToArray()), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    public byte[]? ReadBytes(string path, int maxBytes)
    {
        if (!NativeLinuxFiles.Available)
        {
            return Managed(() => ReadBytesManaged(ManagedPath(path), maxBytes));
        }

        byte[]? buffer = null;
        try
        {
            var rc = NativeLinuxFiles.ReadFile(path, maxBytes, ref buffer, out var length);
            return rc == NativeLinuxFiles.Gone ? null : buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            Return(buffer);
        }
    }

    public int ReadSmallFile(string directory, string fileName, Span<byte> buffer)
    {
        if (NativeLinuxFiles.Available)
        {
            return NativeLinuxFiles.ReadSmallFile(directory, fileName, buffer);
        }

        var bytes = ReadBytes(directory + "/" + fileName, buffer.Length);
        if (bytes is null)
        {
            return -1;
        }

        bytes.CopyTo(buffer);
        return bytes.Length;
    }

    public IHostDirectory OpenDirectory(string path)
    {
        if (!NativeLinuxFiles.Available)
        {
            return new PathHostDirectory(this, path);
        }

        var fd = NativeLinuxFiles.OpenDirectory(path);
        return new LiveHostDirectory(this, path, fd, fd >= 0 && NativeLinuxFiles.IsCgroupFs(fd));
    }

    public IReadOnlyList<string> ListDirectories(string path)
    {
        if (NativeLinuxFiles.Available)
        {
            using var d = new LiveHostDirectory(this, path, NativeLinuxFiles.OpenDirectory(path));
            if (d.TryList(directoriesOnly: true) is { } names)
            {
                return names;
            }
        }

        return Managed(() =>
        {
            var result = new List<string>();
            foreach (var d in new DirectoryInfo(ManagedPath(path)).EnumerateDirectories())
            {
                // Never follow symlinked directories: a loop or an escape out of the tree we were asked to walk.
                if ((d.Attributes & FileAttributes.ReparsePoint) == 0)
                {
                    result.Add(EscapedName(d.Name));
                }
            }

            return (IReadOnlyList<string>)result;
        }) ?? [];
    }

    public IReadOnlyList<string> ListEntries(string path)
    {
        if (NativeLinuxFiles.Available)
        {
            using var d = new LiveHostDirectory(this, path, NativeLinuxFiles.OpenDirectory(path));
            if (d.TryList(directoriesOnly: false) is { } names)
            {
                return names;
            }
        }

        return Managed(() => (IReadOnlyList<string>)[.. new DirectoryInfo(ManagedPath(path)).EnumerateFileSystemInfos().Select(e => EscapedName(e.Name))]) ?? [];
    }

    public bool FileExists(string path) =>
        NeedsNative(path) ? NativeLinuxFiles.Kind(path) == 2 : File.Exists(path);

    public bool DirectoryExists(string path) =>
        NeedsNative(path) ? NativeLinuxFiles.Kind(path) == 1 : Directory.Exists(path);

    public DateTimeOffset? GetModifiedTime(string path)
    {
        if (NeedsNative(path))
        {
            return NativeLinuxFiles.ModifiedTime(path);
        }

        var info = new FileInfo(path);
        if (info.Exists)
        {
            return new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
        }

        var dir = new DirectoryInfo(path);
        return dir.Exists ? new DateTimeOffset(dir.LastWriteTimeUtc, TimeSpan.Zero) : null;
    }

    public ulong? GetInode(string path) => ConfinedFiles.Inode(path);

    public byte[]? ReadTailBeneath(string root, string relativePath, int maxBytes) => ConfinedFiles.ReadTailBeneath(root, relativePath, maxBytes);

    public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken) =>
        runner.RunAsync(argv, timeout, cancellationToken);

    public Task<BusReply> CallBusAsync(BusCall call, TimeSpan timeout, CancellationToken cancellationToken) =>
        (bus ?? DBusClient.Shared).CallAsync(call, timeout, cancellationToken);

    /// <summary>Paths the managed APIs would misread: escaped bytes, or too long for one open.</summary>
    private static bool NeedsNative(string path) =>
        NativeLinuxFiles.Available && (path.Length > ManagedSafeChars || !NativeLinuxFiles.IsPlain(path));

    private static string EscapedName(string managedName) =>
        managedName.Contains('\\', StringComparison.Ordinal) ? CgroupName.Escape(System.Text.Encoding.UTF8.GetBytes(managedName)) : managedName;

    /// <summary>The path the managed APIs can open: the unescaped bytes as a string, when they are UTF-8.</summary>
    private static string ManagedPath(string path)
    {
        if (NativeLinuxFiles.IsPlain(path))
        {
            return path;
        }

        var raw = CgroupName.Unescape(path);
        return CgroupName.IsValidUtf8(raw)
            ? System.Text.Encoding.UTF8.GetString(raw)
            : throw new HostIOException(path, "names bytes that are not UTF-8, which only the native Linux reads can open");
    }

    private static byte[] ReadBytesManaged(string path, int maxBytes)
    {
        // procfs/sysfs report size 0, so read up to the cap instead of trusting Length.
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var buffer = new byte[maxBytes];
        var total = 0;
        int n;
        while (total < maxBytes && (n = fs.Read(buffer, total, maxBytes - total)) > 0)
        {
            total += n;
        }

        return total == maxBytes ? buffer : buffer[..total];
    }

    private static T? Managed<T>(Func<T> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (IsGone(ex))
        {
            return null;
        }
    }

    private static void Return(byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>ENOENT/ESRCH-like outcomes: the entry went away between listing and reading.</summary>
    // ENODEV: a cgroup file opened just before its cgroup was removed reads as "No such device" (found by the
    // hardening churn test: rmdir between open and read of cgroup.procs failed the holders collector).
    private static bool IsGone(Exception ex) => ex is FileNotFoundException or DirectoryNotFoundException
        || (ex is IOException io && (io.HResult is 3 /* ESRCH */ or 19 /* ENODEV */
            || io.Message.Contains("No such process", StringComparison.Ordinal)
            || io.Message.Contains("No such device", StringComparison.Ordinal)));

    /// <summary>
    /// A directory opened once; its files and subdirectories are opened relative to it (openat), and its entries are
    /// read once (getdents64) to answer both which files exist and which subdirectories it has. On cgroupfs
    /// (<paramref name="cgroupFs"/>: the tree it was opened from is, and its subdirectories are opened without
    /// following links) a directory whose link count is 2 has no subdirectories (kernfs counts them in it, see
    /// <see cref="NativeLinuxFiles.LinkCount"/>), so a leaf cgroup, most of them, is not listed at all: one statx
    /// instead of two getdents64 walks of its ~12 files, and a file that is not there is a failed open instead.
    /// Elsewhere (fixture trees, btrfs and overlayfs, whose directories count 1) it is always listed.
    /// </summary>
    private sealed class LiveHostDirectory(LiveHostSource source, string path, int fd, bool cgroupFs = false) : IHostDirectory
    {
        private int handle = fd;
        private byte[]? entries;
        private int entriesLength;

        // 0 = entries not read yet, 1 = read, -1 = could not be read natively (no getdents64: path-based listing)
        private int entriesState;

        // 0 = not asked yet, 1 = a cgroupfs directory without subdirectories, 2 = anything else
        private int leafState = cgroupFs ? 0 : 2;

        public string Path => path;

        public int ReadSmallFile(string fileName, Span<byte> buffer)
        {
            if (handle == NativeLinuxFiles.Gone)
            {
                return -1;
            }

            ObjectDisposedException.ThrowIf(handle < 0, this);
            if (entriesState == 0 && IsLeaf())
            {
                return NativeLinuxFiles.ReadSmallFileAt(handle, path, fileName, buffer); // Gone when it is not there
            }

            var known = LoadEntries();
            if (handle == NativeLinuxFiles.Gone || (known && !NativeLinuxFiles.HasEntry(entries.AsSpan(0, entriesLength), fileName)))
            {
                return -1;
            }

            return NativeLinuxFiles.ReadSmallFileAt(handle, path, fileName, buffer);
        }

        public string? ReadText(string fileName)
        {
            if (handle == NativeLinuxFiles.Gone)
            {
                return null;
            }

            ObjectDisposedException.ThrowIf(handle < 0, this);
            byte[]? buffer = null;
            try
            {
                var rc = NativeLinuxFiles.ReadFileAt(handle, path, fileName, Array.MaxLength, ref buffer, out var length);
                return rc == NativeLinuxFiles.Gone ? null : DecodeLikeReadAllText(buffer.AsSpan(0, length));
            }
            finally
            {
                Return(buffer);
            }
        }

        public IReadOnlyList<string> ListDirectories()
        {
            if (handle >= 0 && entriesState == 0 && IsLeaf())
            {
                return [];
            }

            return TryList(directoriesOnly: true) ?? source.ListDirectories(path);
        }

        public IHostDirectory OpenSubdirectory(string name)
        {
            if (handle == NativeLinuxFiles.Gone)
            {
                return new LiveHostDirectory(source, path + "/" + name, NativeLinuxFiles.Gone);
            }

            ObjectDisposedException.ThrowIf(handle < 0, this);
            return new LiveHostDirectory(source, path + "/" + name, NativeLinuxFiles.OpenSubdirectory(handle, path, name), cgroupFs);
        }

        /// <summary>A cgroupfs directory with no subdirectories (asked once, when first needed).</summary>
        private bool IsLeaf()
        {
            if (leafState == 0)
            {
                leafState = NativeLinuxFiles.LinkCount(handle) == 2 ? 1 : 2;
            }

            return leafState == 1;
        }

        /// <summary>The escaped names (empty when gone), or null when this C library cannot list natively.</summary>
        public List<string>? TryList(bool directoriesOnly)
        {
            if (handle == NativeLinuxFiles.Gone)
            {
                return [];
            }

            ObjectDisposedException.ThrowIf(handle < 0, this);
            if (!LoadEntries())
            {
                return handle == NativeLinuxFiles.Gone ? [] : null;
            }

            var names = new List<string>();
            if (directoriesOnly)
            {
                NativeLinuxFiles.ParseDirectories(handle, path, entries.AsSpan(0, entriesLength), names);
            }
            else
            {
                NativeLinuxFiles.ParseEntries(entries.AsSpan(0, entriesLength), names);
            }

            return names;
        }

        public void Dispose()
        {
            if (handle >= 0)
            {
                NativeLinuxFiles.CloseDirectory(handle);
                handle = -3;
            }

            if (entries is not null)
            {
                ArrayPool<byte>.Shared.Return(entries);
                entries = null;
            }
        }

        [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(entries))]
        private bool LoadEntries()
        {
            if (entriesState == 0)
            {
                var rc = NativeLinuxFiles.ReadEntries(handle, path, ref entries, out entriesLength);
                if (rc == NativeLinuxFiles.Gone)
                {
                    // Removed since it was opened: every read now says gone, as a path-based read would.
                    NativeLinuxFiles.CloseDirectory(handle);
                    handle = NativeLinuxFiles.Gone;
                }

                entriesState = rc == 0 ? 1 : -1;
            }

            return entriesState == 1 && entries is not null;
        }
    }
}
