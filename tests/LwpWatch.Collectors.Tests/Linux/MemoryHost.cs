using System.Collections.Concurrent;
using System.Collections.Immutable;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Tests.Linux;

/// <summary>An in-memory host: files by absolute path, commands by exact argv, bus replies by exact call. Records every command run and bus call made.</summary>
internal sealed class MemoryHost : IHostSource
{
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Func<CommandResult>> Commands { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Ran { get; } = new();

    /// <summary>Bus replies by <see cref="BusCall.Key"/>: JSON in busctl's shape.</summary>
    public Dictionary<string, Func<BusCall, BusReply>> Bus { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<BusCall> BusCalls { get; } = new();

    public string? ReadText(string path) => Files.GetValueOrDefault(path);

    public byte[]? ReadBytes(string path, int maxBytes) => Files.TryGetValue(path, out var t) ? System.Text.Encoding.UTF8.GetBytes(t) : null;

    public IReadOnlyList<string> ListDirectories(string path)
    {
        var prefix = path.TrimEnd('/') + "/";
        return [.. Files.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.IndexOf('/', prefix.Length) > 0)
            .Select(k => k[prefix.Length..k.IndexOf('/', prefix.Length)]).Distinct(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> ListEntries(string path)
    {
        var prefix = path.TrimEnd('/') + "/";
        return [.. Files.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => { var rest = k[prefix.Length..]; var i = rest.IndexOf('/'); return i < 0 ? rest : rest[..i]; }).Distinct(StringComparer.Ordinal)];
    }

    public bool FileExists(string path) => Files.ContainsKey(path);

    public bool DirectoryExists(string path) => ListEntries(path).Count > 0;

    public DateTimeOffset? GetModifiedTime(string path) => null;

    public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var key = string.Join(' ', argv);
        Ran.Enqueue(key);
        return Task.FromResult(Commands.TryGetValue(key, out var f)
            ? f()
            : new CommandResult { Argv = [.. argv], ExitCode = -1, StartError = "not in this test's host: " + key });
    }

    public Task<BusReply> CallBusAsync(BusCall call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        BusCalls.Enqueue(call);
        return Task.FromResult(Bus.TryGetValue(call.Key, out var f)
            ? f(call)
            : new BusReply { Call = call, ErrorName = "org.freedesktop.DBus.Error.UnknownObject", Error = "not in this test's host: " + call.Describe() });
    }

    public void Reply(BusCall call, string json) => Bus[call.Key] = c => new BusReply { Call = c, Json = json };

    public static CommandResult Ok(string stdout) => new() { Argv = ImmutableArray<string>.Empty, ExitCode = 0, Stdout = stdout };

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "systemd", name));
}
