using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Tests.Io;

/// <summary>
/// Forwards only the original path-based members of <see cref="IHostSource"/>, so ReadSmallFile and OpenDirectory
/// take the interface defaults: what a capture or replay source that implements nothing extra gets.
/// </summary>
public sealed class PathOnlySource(IHostSource inner) : IHostSource
{
    public List<string> Reads { get; } = [];

    public string? ReadText(string path)
    {
        Reads.Add(path);
        return inner.ReadText(path);
    }

    public byte[]? ReadBytes(string path, int maxBytes)
    {
        Reads.Add(path);
        return inner.ReadBytes(path, maxBytes);
    }

    public IReadOnlyList<string> ListDirectories(string path) => inner.ListDirectories(path);

    public IReadOnlyList<string> ListEntries(string path) => inner.ListEntries(path);

    public bool FileExists(string path) => inner.FileExists(path);

    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    public DateTimeOffset? GetModifiedTime(string path) => inner.GetModifiedTime(path);

    public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.RunAsync(argv, timeout, cancellationToken);

    public Task<LwpWatch.Collectors.Bus.BusReply> CallBusAsync(LwpWatch.Collectors.Bus.BusCall call, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.CallBusAsync(call, timeout, cancellationToken);
}
