using System.Collections.Immutable;
using System.Text;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Tests;

/// <summary>An in-memory host for collector unit tests: files, mtimes and canned command results; counts every command run.</summary>
internal sealed class FakeHostSource : IHostSource
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _mtimes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CommandResult> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _inodes = new(StringComparer.Ordinal);

    public List<IReadOnlyList<string>> Runs { get; } = [];

    /// <summary>Every path whose content was read (ReadText, ReadBytes, ReadTailBeneath), in order.</summary>
    public List<string> Reads { get; } = [];

    public FakeHostSource File(string path, string text) => File(path, Encoding.UTF8.GetBytes(text));

    public FakeHostSource File(string path, byte[] bytes)
    {
        _files[path] = bytes;
        return this;
    }

    public FakeHostSource Mtime(string path, DateTimeOffset t)
    {
        _mtimes[path] = t;
        return this;
    }

    public FakeHostSource Inode(string path, ulong inode)
    {
        _inodes[path] = inode;
        return this;
    }

    /// <summary>A file with its mtime (what a collector that stats before reading needs).</summary>
    public FakeHostSource File(string path, byte[] bytes, DateTimeOffset mtime) => File(path, bytes).Mtime(path, mtime);

    public FakeHostSource Remove(string path)
    {
        _files.Remove(path);
        _mtimes.Remove(path);
        _inodes.Remove(path);
        return this;
    }

    public FakeHostSource Command(IReadOnlyList<string> argv, string stdout, string stderr = "", int exitCode = 0, bool truncated = false) =>
        Command(argv, new CommandResult { Argv = [.. argv], ExitCode = exitCode, Stdout = stdout, Stderr = stderr, Truncated = truncated });

    public FakeHostSource Command(IReadOnlyList<string> argv, CommandResult result)
    {
        _commands[string.Join('\0', argv)] = result;
        return this;
    }

    public int RunCount(string tool) => Runs.Count(r => r[0] == tool);

    public string? ReadText(string path)
    {
        Reads.Add(path);
        return _files.TryGetValue(path, out var b) ? Encoding.UTF8.GetString(b) : null;
    }

    public byte[]? ReadBytes(string path, int maxBytes)
    {
        Reads.Add(path);
        return _files.TryGetValue(path, out var b) ? b.Length > maxBytes ? b[..maxBytes] : b : null;
    }

    public ulong? GetInode(string path) => _inodes.TryGetValue(path, out var i) ? i : null;

    public IReadOnlyList<string> ListDirectories(string path)
    {
        var prefix = path.TrimEnd('/') + "/";
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in _files.Keys)
        {
            if (f.StartsWith(prefix, StringComparison.Ordinal))
            {
                var rest = f[prefix.Length..];
                var slash = rest.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0)
                {
                    result.Add(rest[..slash]);
                }
            }
        }

        return [.. result];
    }

    public IReadOnlyList<string> ListEntries(string path) => ListDirectories(path);

    public bool FileExists(string path) => _files.ContainsKey(path);

    public bool DirectoryExists(string path) => ListDirectories(path).Count > 0;

    public DateTimeOffset? GetModifiedTime(string path) => _mtimes.TryGetValue(path, out var t) ? t : null;

    public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Runs.Add([.. argv]);
        return Task.FromResult(_commands.TryGetValue(string.Join('\0', argv), out var r)
            ? r
            : new CommandResult { Argv = [.. argv], ExitCode = -1, StartError = $"'{argv[0]}' not found" });
    }

    public Task<LwpWatch.Collectors.Bus.BusReply> CallBusAsync(LwpWatch.Collectors.Bus.BusCall call, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult(new LwpWatch.Collectors.Bus.BusReply { Call = call, Error = "no D-Bus in this fake host" });
}
