using System.Collections.Immutable;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Capture;

/// <summary>
/// Everything the collectors touched in one poll: file contents (bytes exactly as read), directories that
/// exist (so listings can be derived from the tree), paths asked about that did not exist, the mtimes that
/// were asked for, every command run with its result, and every D-Bus call with its reply, in order.
/// </summary>
public sealed record PollRecording
{
    public ImmutableSortedDictionary<string, byte[]> Files { get; init; } = ImmutableSortedDictionary.Create<string, byte[]>(StringComparer.Ordinal);

    public ImmutableSortedSet<string> Directories { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Paths that were asked about and did not exist (recorded in files.json with "mtime": null).</summary>
    public ImmutableSortedSet<string> Absent { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>mtimes asked for, by path.</summary>
    public ImmutableSortedDictionary<string, DateTimeOffset> Mtimes { get; init; } = ImmutableSortedDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);

    public ImmutableArray<CommandResult> Commands { get; init; } = [];

    /// <summary>D-Bus calls and replies (bus.json), in the order they completed.</summary>
    public ImmutableArray<BusReply> Bus { get; init; } = [];

    public long TotalFileBytes
    {
        get
        {
            long n = 0;
            foreach (var f in Files.Values)
            {
                n += f.Length;
            }

            return n;
        }
    }
}
