using System.Collections.Immutable;
using System.Text;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Capture;

/// <summary>
/// Wraps the host source the collectors would use anyway and records what they got: every file read (bytes
/// as read: binary psinfo as is), every directory listed, every path asked about that did not exist, every
/// mtime asked, every command run and every D-Bus call with its reply. <see cref="TakeRecording"/> hands over one poll's worth and starts the next.
/// Files merely tested for existence or asked for their mtime are copied too, so the replayed tree is truthful.
/// </summary>
public sealed class RecordingHostSource(IHostSource inner, long maxBytesPerPoll = 512L * 1024 * 1024) : IHostSource
{
    /// <summary>Bound for files copied without being read (existence checks, mtimes): enough for any marker or /proc file.</summary>
    private const int CopyCap = 16 * 1024 * 1024;

    private readonly Lock _lock = new();
    private Builder _current = new();

    public PollRecording TakeRecording()
    {
        lock (_lock)
        {
            var r = _current.Build();
            _current = new Builder();
            return r;
        }
    }

    public string? ReadText(string path)
    {
        var key = BundlePaths.Normalize(path);
        var text = inner.ReadText(path);
        Record(key, text is null ? null : Encoding.UTF8.GetBytes(text));
        return text;
    }

    public byte[]? ReadBytes(string path, int maxBytes)
    {
        var key = BundlePaths.Normalize(path);
        var bytes = inner.ReadBytes(path, maxBytes);
        Record(key, bytes);
        return bytes;
    }

    /// <summary>
    /// Listings are handed on in ordinal order, the order a replay derives from the bundle's files/ tree, so a
    /// capture run and its replay see the same sequence (a live listing's order is the filesystem's).
    /// </summary>
    public IReadOnlyList<string> ListDirectories(string path)
    {
        var key = BundlePaths.Normalize(path);
        var names = Sorted(inner.ListDirectories(path));
        var exists = names.Count > 0 || inner.DirectoryExists(path);
        lock (_lock)
        {
            if (!exists)
            {
                _current.MarkAbsent(key);
                return names;
            }

            _current.MarkDirectory(key);
            foreach (var n in names)
            {
                _current.MarkDirectory(Child(key, n));
            }
        }

        return names;
    }

    public IReadOnlyList<string> ListEntries(string path)
    {
        var key = BundlePaths.Normalize(path);
        var names = Sorted(inner.ListEntries(path));
        if (names.Count == 0 && !inner.DirectoryExists(path))
        {
            lock (_lock)
            {
                _current.MarkAbsent(key);
            }

            return names;
        }

        lock (_lock)
        {
            _current.MarkDirectory(key);
        }

        foreach (var n in names)
        {
            CopyExisting(Child(key, n), JoinHost(path, n));
        }

        return names;
    }

    public bool FileExists(string path)
    {
        var key = BundlePaths.Normalize(path);
        var exists = inner.FileExists(path);
        if (exists)
        {
            CopyExisting(key, path);
        }
        else if (inner.DirectoryExists(path))
        {
            lock (_lock)
            {
                _current.MarkDirectory(key);
            }
        }
        else
        {
            lock (_lock)
            {
                _current.MarkAbsent(key);
            }
        }

        return exists;
    }

    public bool DirectoryExists(string path)
    {
        var key = BundlePaths.Normalize(path);
        var exists = inner.DirectoryExists(path);
        if (exists)
        {
            lock (_lock)
            {
                _current.MarkDirectory(key);
            }
        }
        else if (inner.FileExists(path))
        {
            CopyExisting(key, path);
        }
        else
        {
            lock (_lock)
            {
                _current.MarkAbsent(key);
            }
        }

        return exists;
    }

    public DateTimeOffset? GetModifiedTime(string path)
    {
        var key = BundlePaths.Normalize(path);
        var mtime = inner.GetModifiedTime(path);
        if (mtime is { } m)
        {
            CopyExisting(key, path);
            lock (_lock)
            {
                _current.Mtimes[key] = m.ToUniversalTime();
            }
        }
        else
        {
            lock (_lock)
            {
                _current.MarkAbsent(key);
            }
        }

        return mtime;
    }

    /// <summary>Passed through, not recorded: bundles keep mtimes only (a replay keys on those).</summary>
    public ulong? GetInode(string path) => inner.GetInode(path);

    /// <summary>Recorded like any read: the bytes the live read returned, under root/relativePath.</summary>
    public byte[]? ReadTailBeneath(string root, string relativePath, int maxBytes)
    {
        var key = BundlePaths.Normalize(root.TrimEnd('/') + "/" + relativePath);
        var bytes = inner.ReadTailBeneath(root, relativePath, maxBytes);
        Record(key, bytes);
        return bytes;
    }

    public async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await inner.RunAsync(argv, timeout, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _current.Commands.Add(result);
        }

        return result;
    }

    public async Task<BusReply> CallBusAsync(BusCall call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reply = await inner.CallBusAsync(call, timeout, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _current.Bus.Add(reply);
        }

        return reply;
    }

    private static List<string> Sorted(IReadOnlyList<string> names)
    {
        var list = new List<string>(names);
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    private static string Child(string key, string name) => key == "/" ? "/" + name : key + "/" + name;

    private static string JoinHost(string path, string name) => path.EndsWith('/') ? path + name : path + "/" + name;

    private void Record(string key, byte[]? bytes)
    {
        lock (_lock)
        {
            if (bytes is null)
            {
                _current.MarkAbsent(key);
                return;
            }

            _current.AddFile(key, bytes, maxBytesPerPoll);
        }
    }

    /// <summary>Puts an existing file or directory into the tree without its content having been asked for.</summary>
    private void CopyExisting(string key, string hostPath)
    {
        lock (_lock)
        {
            if (_current.Has(key))
            {
                return;
            }
        }

        if (inner.DirectoryExists(hostPath))
        {
            lock (_lock)
            {
                _current.MarkDirectory(key);
            }

            return;
        }

        byte[]? bytes;
        try
        {
            bytes = inner.ReadBytes(hostPath, CopyCap);
        }
        catch (IOException)
        {
            // It exists but is no file to read: a socket (the system bus's /run/dbus/system_bus_socket: open gives
            // ENXIO), a FIFO. Only its existence is what a collector asked, so it is kept as an empty file; the
            // capture must not fail the collector that merely checked it (issue 14: no systemd host could be captured).
            bytes = [];
        }

        lock (_lock)
        {
            if (bytes is not null && !_current.Has(key))
            {
                _current.AddFile(key, bytes, maxBytesPerPoll);
            }
        }
    }

    private sealed class Builder
    {
        private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
        private readonly HashSet<string> _dirs = new(StringComparer.Ordinal);
        private readonly HashSet<string> _absent = new(StringComparer.Ordinal);
        private long _bytes;

        public Dictionary<string, DateTimeOffset> Mtimes { get; } = new(StringComparer.Ordinal);

        public List<CommandResult> Commands { get; } = [];

        public List<BusReply> Bus { get; } = [];

        public bool Has(string key) => _files.ContainsKey(key) || _dirs.Contains(key);

        public void AddFile(string key, byte[] bytes, long max)
        {
            // The same file read twice (e.g. a short ReadBytes, then all of it): keep the longest read.
            if (_files.TryGetValue(key, out var old))
            {
                if (old.Length >= bytes.Length)
                {
                    return;
                }

                _bytes -= old.Length;
            }

            if (_bytes + bytes.Length > max)
            {
                throw new BundleException($"capture: poll recording would exceed {max} bytes at {key}");
            }

            _bytes += bytes.Length;
            _files[key] = bytes;
            _absent.Remove(key);
            MarkParents(key);
        }

        public void MarkDirectory(string key)
        {
            _dirs.Add(key);
            _absent.Remove(key);
            MarkParents(key);
        }

        /// <summary>A path that vanished but was seen earlier in the poll stays present: the first sighting wins.</summary>
        public void MarkAbsent(string key)
        {
            if (!Has(key))
            {
                _absent.Add(key);
            }
        }

        public PollRecording Build() => new()
        {
            Files = _files.ToImmutableSortedDictionary(StringComparer.Ordinal),
            Directories = _dirs.ToImmutableSortedSet(StringComparer.Ordinal),
            Absent = _absent.ToImmutableSortedSet(StringComparer.Ordinal),
            Mtimes = Mtimes.ToImmutableSortedDictionary(StringComparer.Ordinal),
            Commands = [.. Commands],
            Bus = [.. Bus],
        };

        private void MarkParents(string key)
        {
            for (var slash = key.LastIndexOf('/'); slash > 0; slash = key.LastIndexOf('/', slash - 1))
            {
                var parent = key[..slash];
                if (!_dirs.Add(parent))
                {
                    break;
                }

                _absent.Remove(parent);
            }
        }
    }
}
