using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Io;

/// <summary>
/// Everything a collector may read from the host: files, directory listings, mtimes, tool runs and D-Bus calls. Live,
/// recording (capture) and replay implementations exist; collectors never touch File or Process directly,
/// which is what makes a capture bundle an exact record of a poll.
/// Paths are absolute host paths. "Not found" is a normal answer (null/empty), because /proc and cgroup
/// entries vanish between listing and reading; other I/O errors throw <see cref="IOException"/>.
/// Paths and the names listings return are escaped byte strings (<see cref="LwpWatch.Core.Model.CgroupName"/>):
/// a path without a backslash is plain UTF-8, and <c>\xHH</c> stands for the byte HH, so a tenant's cgroup
/// name that is not UTF-8 or holds a backslash names exactly its directory (and a zone id is such a string).
/// </summary>
public interface IHostSource
{
    /// <summary>The whole file as text, or null when it does not exist (anymore).</summary>
    string? ReadText(string path);

    /// <summary>Up to <paramref name="maxBytes"/> bytes of the file, or null when it does not exist (anymore).</summary>
    byte[]? ReadBytes(string path, int maxBytes);

    /// <summary>
    /// Reads the small file <paramref name="directory"/>/<paramref name="fileName"/> (a pids.* or /proc attribute
    /// file) into <paramref name="buffer"/> and returns the number of bytes read, or -1 when it does not exist
    /// (anymore). A result equal to buffer.Length means the file may be longer: callers then read it whole with
    /// <see cref="ReadText"/>. Contents are exactly the bytes <see cref="ReadText"/> would decode.
    /// This is the per-cgroup hot path, so the live source overrides it (no path string, no exception for a
    /// missing file); this default goes through <see cref="ReadBytes"/>, so recording and replaying sources
    /// see every read without implementing anything.
    /// </summary>
    int ReadSmallFile(string directory, string fileName, Span<byte> buffer)
    {
        var bytes = ReadBytes(directory + "/" + fileName, buffer.Length);
        if (bytes is null)
        {
            return -1;
        }

        bytes.CopyTo(buffer);
        return bytes.Length;
    }

    /// <summary>
    /// <paramref name="path"/> as a directory to read several small files from and list (the per-cgroup hot path).
    /// The live source opens it once and reads its files relative to that handle, so each file lookup is one
    /// path component instead of the whole path (on cgroupfs every component is a kernfs revalidation). This
    /// default is path-based, so capture and replay need nothing extra. Never throws for a missing directory:
    /// its reads then say "gone".
    /// </summary>
    IHostDirectory OpenDirectory(string path) => new PathHostDirectory(this, path);

    /// <summary>Names (not paths) of the subdirectories; empty when the directory does not exist.</summary>
    IReadOnlyList<string> ListDirectories(string path);

    /// <summary>Names of the entries (files and directories); empty when the directory does not exist.</summary>
    IReadOnlyList<string> ListEntries(string path);

    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>Last modification time, or null when the path does not exist.</summary>
    DateTimeOffset? GetModifiedTime(string path);

    /// <summary>
    /// The file's inode number where the source can tell (the live source on Linux and illumos), else null.
    /// Together with the mtime it says whether a file replaced by rename (libzonecfg saves /etc/zones/*.xml by
    /// mkstemp + rename) is a new version. Not recorded in bundles: a replay keys on the recorded mtime alone.
    /// </summary>
    ulong? GetInode(string path) => null;

    /// <summary>
    /// Up to the last <paramref name="maxBytes"/> bytes of the regular file <paramref name="root"/>/<paramref name="relativePath"/>,
    /// resolved one component at a time beneath <paramref name="root"/> without following a symlink in any of
    /// them (the live source opens each with openat and O_NOFOLLOW), so a tenant who controls the tree below
    /// root cannot point the read anywhere else; null when it does not exist. A symlink, a non-regular file or
    /// a '..' component is an <see cref="IOException"/>. Sources without a file system of their own (replay,
    /// test fakes) serve what was recorded: the recorder stores exactly the bytes the live read returned.
    /// </summary>
    byte[]? ReadTailBeneath(string root, string relativePath, int maxBytes)
    {
        foreach (var part in relativePath.Split('/'))
        {
            if (part is "" or "." or "..")
            {
                throw new IOException($"refused '{relativePath}': only plain names below {root}");
            }
        }

        var bytes = ReadBytes(root.TrimEnd('/') + "/" + relativePath, int.MaxValue);
        return bytes is null || bytes.Length <= maxBytes ? bytes : bytes[^maxBytes..];
    }

    Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// One D-Bus method call, bounded by <paramref name="timeout"/> (connect included). Failures and timeouts are
    /// answers (<see cref="BusReply.Succeeded"/> false), never exceptions; only cancellation throws (and a replay
    /// asked for a call its bundle does not hold, like a command it did not record).
    /// </summary>
    Task<BusReply> CallBusAsync(BusCall call, TimeSpan timeout, CancellationToken cancellationToken);
}
