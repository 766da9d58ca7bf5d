using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Tests.Support;

/// <summary>The live source over a fixture tree, with a hook that runs before each read (to simulate a cgroup vanishing mid-poll).</summary>
internal sealed class InterceptingHostSource(Action<string>? beforeRead = null) : IHostSource
{
    private readonly LiveHostSource _live = new(new CommandRunner());

    public List<string> Reads { get; } = [];

    public string? ReadText(string path)
    {
        Reads.Add(path);
        beforeRead?.Invoke(path);
        return _live.ReadText(path);
    }

    public byte[]? ReadBytes(string path, int maxBytes)
    {
        Reads.Add(path);
        beforeRead?.Invoke(path);
        return _live.ReadBytes(path, maxBytes);
    }

    public IReadOnlyList<string> ListDirectories(string path) => _live.ListDirectories(path);

    public IReadOnlyList<string> ListEntries(string path) => _live.ListEntries(path);

    public bool FileExists(string path) => _live.FileExists(path);

    public bool DirectoryExists(string path) => _live.DirectoryExists(path);

    public DateTimeOffset? GetModifiedTime(string path) => _live.GetModifiedTime(path);

    public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken) =>
        _live.RunAsync(argv, timeout, cancellationToken);

    public Task<LwpWatch.Collectors.Bus.BusReply> CallBusAsync(LwpWatch.Collectors.Bus.BusCall call, TimeSpan timeout, CancellationToken cancellationToken) =>
        _live.CallBusAsync(call, timeout, cancellationToken);
}
