using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Io;

/// <summary>
/// Everything a collector may read from the host: files, directory listings, mtimes and tool runs. Live,
/// recording (capture) and replay implementations exist; collectors never touch File or Process directly,
/// which is what makes a capture bundle an exact record of a poll.
/// Paths are absolute host paths. "Not found" is a normal answer (null/empty), because /proc and cgroup
/// entries vanish between listing and reading; other I/O errors throw <see cref="IOException"/>.
/// </summary>
public interface IHostSource
{
    /// <summary>The whole file as text, or null when it does not exist (anymore).</summary>
    string? ReadText(string path);

    /// <summary>Up to <paramref name="maxBytes"/> bytes of the file, or null when it does not exist (anymore).</summary>
    byte[]? ReadBytes(string path, int maxBytes);

    /// <summary>Names (not paths) of the subdirectories; empty when the directory does not exist.</summary>
    IReadOnlyList<string> ListDirectories(string path);

    /// <summary>Names of the entries (files and directories); empty when the directory does not exist.</summary>
    IReadOnlyList<string> ListEntries(string path);

    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>Last modification time, or null when the path does not exist.</summary>
    DateTimeOffset? GetModifiedTime(string path);

    Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken);
}
