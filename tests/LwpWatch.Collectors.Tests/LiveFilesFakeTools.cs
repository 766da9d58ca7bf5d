using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Tests;

/// <summary>This machine's files (through the live source, openat and all) and canned tool output.</summary>
internal sealed class LiveFilesFakeTools(FakeHostSource tools) : IHostSource
{
    private readonly LiveHostSource _live = new(new CommandRunner());

    public List<IReadOnlyList<string>> Runs => tools.Runs;

    public string? ReadText(string path) => _live.ReadText(path);

    public byte[]? ReadBytes(string path, int maxBytes) => _live.ReadBytes(path, maxBytes);

    public IReadOnlyList<string> ListDirectories(string path) => _live.ListDirectories(path);

    public IReadOnlyList<string> ListEntries(string path) => _live.ListEntries(path);

    public bool FileExists(string path) => _live.FileExists(path);

    public bool DirectoryExists(string path) => _live.DirectoryExists(path);

    public DateTimeOffset? GetModifiedTime(string path) => _live.GetModifiedTime(path);

    public ulong? GetInode(string path) => _live.GetInode(path);

    public byte[]? ReadTailBeneath(string root, string relativePath, int maxBytes) => _live.ReadTailBeneath(root, relativePath, maxBytes);

    public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken) => tools.RunAsync(argv, timeout, cancellationToken);

    public Task<LwpWatch.Collectors.Bus.BusReply> CallBusAsync(LwpWatch.Collectors.Bus.BusCall call, TimeSpan timeout, CancellationToken cancellationToken) => tools.CallBusAsync(call, timeout, cancellationToken);
}
