using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Io;

/// <summary>The real machine.</summary>
public sealed class LiveHostSource(CommandRunner runner) : IHostSource
{
    public string? ReadText(string path)
    {
        if (NativeLinuxFiles.Available)
        {
            // Same answer as below without an exception per missing file: holders, pressure and host-limit
            // reads ask for /proc and cgroup files that are often not there (v1 has no cpu.pressure).
            byte[]? buffer = null;
            try
            {
                var rc = NativeLinuxFiles.ReadWholeFile(path, ref buffer, out var length);
                if (rc == NativeLinuxFiles.Gone)
                {
                    return null;
                }

                if (rc == 0)
                {
                    return DecodeLikeReadAllText(buffer.AsSpan(0, length));
                }
            }
            finally
            {
                if (buffer is not null)
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (IsGone(ex))
        {
            return null;
        }
    }

    /// <summary>Exactly File.ReadAllText's decoding: UTF-8, byte order marks honoured, invalid bytes replaced.</summary>
    private static string DecodeLikeReadAllText(ReadOnlySpan<byte> bytes)
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
        try
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
        catch (Exception ex) when (IsGone(ex))
        {
            return null;
        }
    }

    public int ReadSmallFile(string directory, string fileName, Span<byte> buffer)
    {
        if (NativeLinuxFiles.Available)
        {
            var n = NativeLinuxFiles.ReadSmallFile(directory, fileName, buffer);
            if (n != NativeLinuxFiles.Unsupported)
            {
                return n;
            }
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
        if (NativeLinuxFiles.Available)
        {
            var fd = NativeLinuxFiles.OpenDirectory(path);
            if (fd != NativeLinuxFiles.Unsupported)
            {
                return new LiveHostDirectory(this, path, fd);
            }
        }

        return new PathHostDirectory(this, path);
    }

    public IReadOnlyList<string> ListDirectories(string path)
    {
        if (NativeLinuxFiles.Available)
        {
            var names = new List<string>();
            var rc = NativeLinuxFiles.ListDirectories(path, names);
            if (rc != NativeLinuxFiles.Unsupported)
            {
                return names;
            }
        }

        try
        {
            var result = new List<string>();
            foreach (var d in new DirectoryInfo(path).EnumerateDirectories())
            {
                // Never follow symlinked directories: a loop or an escape out of the tree we were asked to walk.
                if ((d.Attributes & FileAttributes.ReparsePoint) == 0)
                {
                    result.Add(d.Name);
                }
            }

            return result;
        }
        catch (Exception ex) when (IsGone(ex))
        {
            return [];
        }
    }

    public IReadOnlyList<string> ListEntries(string path)
    {
        try
        {
            return [.. new DirectoryInfo(path).EnumerateFileSystemInfos().Select(e => e.Name)];
        }
        catch (Exception ex) when (IsGone(ex))
        {
            return [];
        }
    }

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public DateTimeOffset? GetModifiedTime(string path)
    {
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

    /// <summary>ENOENT/ESRCH-like outcomes: the entry went away between listing and reading.</summary>
    // ENODEV: a cgroup file opened just before its cgroup was removed reads as "No such device" (found by the
    // hardening churn test: rmdir between open and read of cgroup.procs failed the holders collector).
    private static bool IsGone(Exception ex) => ex is FileNotFoundException or DirectoryNotFoundException
        || (ex is IOException io && (io.HResult is 3 /* ESRCH */ or 19 /* ENODEV */
            || io.Message.Contains("No such process", StringComparison.Ordinal)
            || io.Message.Contains("No such device", StringComparison.Ordinal)));

    /// <summary>
    /// A directory opened once; its files are opened relative to it, and its entries are read once (getdents64) to
    /// answer both which files exist and which subdirectories it has. Anything the native path does not handle
    /// goes to the path-based calls of the source, so results and errors are those of the path-based API.
    /// </summary>
    private sealed class LiveHostDirectory(LiveHostSource source, string path, int fd) : IHostDirectory
    {
        private int handle = fd;
        private byte[]? entries;
        private int entriesLength;

        // 0 = entries not read yet, 1 = read, -1 = could not be read natively (fall back to plain opens / listing)
        private int entriesState;

        public string Path => path;

        public int ReadSmallFile(string fileName, Span<byte> buffer)
        {
            if (handle == NativeLinuxFiles.Gone)
            {
                return -1;
            }

            ObjectDisposedException.ThrowIf(handle < 0, this);
            var known = LoadEntries();
            if (handle == NativeLinuxFiles.Gone || (known && !NativeLinuxFiles.HasEntry(entries.AsSpan(0, entriesLength), fileName)))
            {
                return -1;
            }

            var n = NativeLinuxFiles.ReadSmallFileAt(handle, fileName, buffer);
            return n == NativeLinuxFiles.Unsupported ? source.ReadSmallFile(path, fileName, buffer) : n;
        }

        public IReadOnlyList<string> ListDirectories()
        {
            if (handle == NativeLinuxFiles.Gone)
            {
                return [];
            }

            ObjectDisposedException.ThrowIf(handle < 0, this);
            var names = new List<string>();
            if (LoadEntries() && NativeLinuxFiles.ParseDirectories(entries.AsSpan(0, entriesLength), names) == 0)
            {
                return names;
            }

            return source.ListDirectories(path);
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
                System.Buffers.ArrayPool<byte>.Shared.Return(entries);
                entries = null;
            }
        }

        [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(entries))]
        private bool LoadEntries()
        {
            if (entriesState == 0)
            {
                var rc = NativeLinuxFiles.ReadEntries(handle, ref entries, out entriesLength);
                if (rc == NativeLinuxFiles.Gone)
                {
                    // Removed since it was opened: every read now says gone, as a path-based read would.
                    handle = CloseAsGone(handle);
                }

                entriesState = rc == 0 ? 1 : -1;
            }

            return entriesState == 1 && entries is not null;
        }

        private static int CloseAsGone(int fd)
        {
            NativeLinuxFiles.CloseDirectory(fd);
            return NativeLinuxFiles.Gone;
        }
    }
}
