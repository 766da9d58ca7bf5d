using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Capture;

/// <summary>
/// One recorded poll as a host: reads come from files/, listings are derived from the files/ tree (in ordinal
/// order, as the recorder handed them on), mtimes
/// and recorded absences from files.json, commands from commands.json by exact argv and D-Bus calls from bus.json
/// by exact call (address, destination, path, interface, member, args) (repeats of the same argv or call are
/// served in recorded order, the last one again after that). Anything the recording cannot answer throws
/// a <see cref="BundleException"/> naming it, which fails only the collector that asked. Every file access goes
/// through <see cref="BundleFiles"/> (confined beneath the bundle like openat2 RESOLVE_BENEATH, regular files
/// only, sizes bounded before reading); what it refuses is a <see cref="BundleViolationException"/>, reported
/// to the reader so the replay stops.
/// </summary>
public sealed class ReplayHostSource : IHostSource
{
    /// <summary>A day: far above any tool timeout, far below what TimeSpan can hold (a huge value once overflowed it).</summary>
    private const long MaxDurationMs = 86_400_000;

    private readonly BundleReader _reader;
    private readonly BundleFiles _files;
    private readonly string _filesRel;
    private readonly string _label;
    private readonly Dictionary<string, DateTimeOffset?> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<CommandResult>> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CommandResult> _lastServed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<BusReply>> _bus = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BusReply> _lastBus = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    internal ReplayHostSource(BundleReader reader, BundlePoll poll)
    {
        _reader = reader;
        _files = reader.Files;
        var pollRel = "polls/" + BundlePaths.PollDirectoryName(poll.Number);
        _filesRel = pollRel + "/" + BundlePaths.FilesDir;
        _label = $"replay of poll {poll.Number.ToString(CultureInfo.InvariantCulture)} ({poll.Directory})";
        TakenAt = poll.TakenAt;
        LoadIndex(pollRel + "/" + BundlePaths.FilesIndex, Path.Join(poll.Directory, BundlePaths.FilesIndex));
        LoadCommands(pollRel + "/" + BundlePaths.CommandsFile, Path.Join(poll.Directory, BundlePaths.CommandsFile));
        LoadBus(pollRel + "/" + BundlePaths.BusFile, Path.Join(poll.Directory, BundlePaths.BusFile));
    }

    public DateTimeOffset TakenAt { get; }

    public string? ReadText(string path)
    {
        var bytes = Read(path, int.MaxValue);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    public byte[]? ReadBytes(string path, int maxBytes) => Read(path, maxBytes);

    /// <summary>The first <paramref name="take"/> bytes of a recorded file; null for a recorded absence or a directory.</summary>
    private byte[]? Read(string path, int take)
    {
        var (key, rel) = Resolve(path);
        var kind = BundleFiles.Kind.Missing;
        var bytes = Confined(() =>
        {
            var b = _files.ReadFile(rel, BundleFiles.MaxFileBytes, take, out var k);
            kind = k;
            return b;
        });
        return kind switch
        {
            BundleFiles.Kind.File => bytes,
            BundleFiles.Kind.Directory => null,
            _ => IsAbsent(key) ? null : throw Missing($"file {key}"),
        };
    }

    public IReadOnlyList<string> ListDirectories(string path)
    {
        var (key, rel) = Resolve(path);
        var names = Confined(() => _files.List(rel, directoriesOnly: true));
        return names ?? (IsAbsent(key) ? [] : throw Missing($"directory listing of {key}"));
    }

    public IReadOnlyList<string> ListEntries(string path)
    {
        var (key, rel) = Resolve(path);
        var names = Confined(() => _files.List(rel, directoriesOnly: false));
        return names ?? (IsAbsent(key) ? [] : throw Missing($"directory listing of {key}"));
    }

    public bool FileExists(string path)
    {
        var (key, rel) = Resolve(path);
        var kind = Confined(() => _files.KindOf(rel));
        return kind == BundleFiles.Kind.File || (IsAbsent(key) || kind == BundleFiles.Kind.Directory ? false : throw Missing($"existence of {key}"));
    }

    public bool DirectoryExists(string path)
    {
        var (key, rel) = Resolve(path);
        var kind = Confined(() => _files.KindOf(rel));
        return kind == BundleFiles.Kind.Directory || (IsAbsent(key) || kind == BundleFiles.Kind.File ? false : throw Missing($"existence of {key}"));
    }

    public DateTimeOffset? GetModifiedTime(string path)
    {
        var key = BundlePaths.Normalize(path);
        lock (_lock)
        {
            return _index.TryGetValue(key, out var m) ? m : throw Missing($"mtime of {key} (not in files.json)");
        }
    }

    public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var key = ArgvKey(argv);
        CommandResult result;
        lock (_lock)
        {
            if (_commands.TryGetValue(key, out var queue) && queue.Count > 0)
            {
                result = queue.Dequeue();
                _lastServed[key] = result;
            }
            else if (!_lastServed.TryGetValue(key, out result!))
            {
                throw Missing($"command '{string.Join(' ', argv)}' (no entry with this exact argv in commands.json)");
            }
        }

        return Task.FromResult(result with { Argv = [.. argv] });
    }

    public Task<BusReply> CallBusAsync(BusCall call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BusReply reply;
        lock (_lock)
        {
            if (_bus.TryGetValue(call.Key, out var queue) && queue.Count > 0)
            {
                reply = queue.Dequeue();
                _lastBus[call.Key] = reply;
            }
            else if (!_lastBus.TryGetValue(call.Key, out reply!))
            {
                reply = FromBusctl(call) ?? throw Missing($"D-Bus call {call.Describe()} on {call.Address} (no entry with this exact call in bus.json)");
            }
        }

        return Task.FromResult(reply with { Call = call });
    }

    /// <summary>
    /// Bundles from before the bus seam recorded the same call as a busctl run (commands.json); its --json=short
    /// stdout is exactly the reply shape, so those bundles still replay.
    /// </summary>
    private BusReply? FromBusctl(BusCall call)
    {
        string[] argv = ["busctl", $"--address={call.Address}", "--json=short", "--no-pager", "call", call.Destination, call.Path, call.Interface, call.Member, .. call.Args.Length == 0 ? Array.Empty<string>() : [call.Signature, .. call.Args]];
        var key = ArgvKey(argv);
        CommandResult? r = null;
        if (_commands.TryGetValue(key, out var queue) && queue.Count > 0)
        {
            r = queue.Dequeue();
            _lastServed[key] = r;
        }
        else if (_lastServed.TryGetValue(key, out var last))
        {
            r = last;
        }

        return r is null ? null : r.Succeeded
            ? new BusReply { Call = call, Json = r.Stdout, Duration = r.Duration }
            : new BusReply { Call = call, Error = r.Describe(), TimedOut = r.TimedOut, Duration = r.Duration };
    }

    private static string ArgvKey(IReadOnlyList<string> argv) => string.Join('\0', argv);

    private bool IsAbsent(string key)
    {
        lock (_lock)
        {
            return _index.TryGetValue(key, out var m) && m is null;
        }
    }

    private BundleException Missing(string what) => new($"{_label}: {what} was not recorded");

    /// <summary>The bundle-relative path under this poll's files/ for a host path, after refusing '..' and the like.</summary>
    private (string Key, string Rel) Resolve(string path)
    {
        string key;
        try
        {
            key = BundlePaths.Normalize(path);
        }
        catch (BundleException ex)
        {
            throw new BundleException($"{_label}: refused: {ex.Message}");
        }

        return (key, key == "/" ? _filesRel : _filesRel + key);
    }

    /// <summary>Runs a confined access; a refusal is reported to the reader (the replay stops) and thrown on.</summary>
    private T Confined<T>(Func<T> access)
    {
        try
        {
            return access();
        }
        catch (BundleViolationException ex)
        {
            throw _reader.Report(new BundleViolationException($"{_label}: {ex.Message}"));
        }
    }

    private void LoadIndex(string rel, string file)
    {
        using var doc = Confined(() => BundleReader.Parse(_files, rel, BundleFiles.MaxIndexBytes, file));
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new BundleException($"{file}: must be an array of {{\"path\",\"mtime\"}}");
        }

        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var path = BundlePaths.Normalize(BundleReader.Str(e, "path", file));
            if (!e.TryGetProperty("mtime", out var m))
            {
                throw new BundleException($"{file}: entry for {path} has no \"mtime\"");
            }

            if (m.ValueKind == JsonValueKind.Null)
            {
                _index[path] = null;
            }
            else if (m.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(BundleReader.Text(m, "mtime", file), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            {
                _index[path] = t;
            }
            else
            {
                throw new BundleException($"{file}: mtime of {path} must be an ISO time or null");
            }
        }
    }

    /// <summary>bus.json is optional: a poll that made no bus call (illumos, or a bundle from before the bus seam) has none.</summary>
    private void LoadBus(string rel, string file)
    {
        if (Confined(() => _files.KindOf(rel)) == BundleFiles.Kind.Missing)
        {
            return;
        }

        using var doc = Confined(() => BundleReader.Parse(_files, rel, BundleFiles.MaxIndexBytes, file));
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new BundleException($"{file}: must be an array of bus calls");
        }

        var n = 0;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            n++;
            var where = $"{file}: call #{n.ToString(CultureInfo.InvariantCulture)}";
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("args", out var argsEl) || argsEl.ValueKind != JsonValueKind.Array)
            {
                throw new BundleException($"{where}: \"args\" must be an array of strings");
            }

            var args = ImmutableArray.CreateBuilder<string>();
            foreach (var a in argsEl.EnumerateArray())
            {
                args.Add(a.ValueKind == JsonValueKind.String ? BundleReader.Text(a, "args", where) : throw new BundleException($"{where}: \"args\" must be an array of strings"));
            }

            if (!e.TryGetProperty("durationMs", out var d) || d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var ms) || ms < 0 || ms > MaxDurationMs)
            {
                throw new BundleException($"{where}: \"durationMs\" must be a non-negative integer");
            }

            string? json = null;
            if (e.TryGetProperty("reply", out var reply))
            {
                if (reply.ValueKind != JsonValueKind.Object)
                {
                    throw new BundleException($"{where}: \"reply\" must be an object {{\"type\",\"data\"}}");
                }

                json = reply.GetRawText();
                if (json.Length > DBusClient.MaxReplyJsonBytes)
                {
                    throw new BundleException($"{where}: \"reply\" is larger than {DBusClient.MaxReplyJsonBytes} bytes");
                }
            }

            var call = new BusCall(
                BundleReader.Str(e, "address", where),
                BundleReader.Str(e, "destination", where),
                BundleReader.Str(e, "path", where),
                BundleReader.Str(e, "interface", where),
                BundleReader.Str(e, "member", where),
                args.ToImmutable());
            var result = new BusReply
            {
                Call = call,
                Json = json,
                ErrorName = e.TryGetProperty("errorName", out var en) && en.ValueKind == JsonValueKind.String ? BundleReader.Text(en, "errorName", where) : null,
                Error = e.TryGetProperty("error", out var er) && er.ValueKind == JsonValueKind.String ? BundleReader.Text(er, "error", where) : null,
                TimedOut = e.TryGetProperty("timedOut", out var to) && to.ValueKind == JsonValueKind.True,
                Duration = TimeSpan.FromMilliseconds(ms),
            };
            if (json is null && result.Error is null && !result.TimedOut)
            {
                throw new BundleException($"{where}: a call needs a \"reply\", an \"error\" or \"timedOut\"");
            }

            if (!_bus.TryGetValue(call.Key, out var q))
            {
                _bus[call.Key] = q = new Queue<BusReply>();
            }

            q.Enqueue(result);
        }
    }

    private void LoadCommands(string rel, string file)
    {
        using var doc = Confined(() => BundleReader.Parse(_files, rel, BundleFiles.MaxIndexBytes, file));
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new BundleException($"{file}: must be an array of commands");
        }

        var n = 0;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            n++;
            var where = $"{file}: command #{n.ToString(CultureInfo.InvariantCulture)}";
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("argv", out var argvEl) || argvEl.ValueKind != JsonValueKind.Array)
            {
                throw new BundleException($"{where}: \"argv\" must be an array of strings");
            }

            var argv = ImmutableArray.CreateBuilder<string>();
            foreach (var a in argvEl.EnumerateArray())
            {
                argv.Add(a.ValueKind == JsonValueKind.String ? BundleReader.Text(a, "argv", where) : throw new BundleException($"{where}: \"argv\" must be an array of strings"));
            }

            if (argv.Count == 0)
            {
                throw new BundleException($"{where}: empty argv");
            }

            if (!e.TryGetProperty("durationMs", out var d) || d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var ms) || ms < 0 || ms > MaxDurationMs)
            {
                throw new BundleException($"{where}: \"durationMs\" must be a non-negative integer");
            }

            var result = new CommandResult
            {
                Argv = argv.ToImmutable(),
                ExitCode = BundleReader.Int(e, "exitCode", where),
                Stdout = BundleReader.Str(e, "stdout", where),
                Stderr = BundleReader.Str(e, "stderr", where),
                Duration = TimeSpan.FromMilliseconds(ms),
                TimedOut = e.TryGetProperty("timedOut", out var to) && to.ValueKind == JsonValueKind.True,
                Truncated = e.TryGetProperty("truncated", out var tr) && tr.ValueKind == JsonValueKind.True,
                StartError = e.TryGetProperty("startError", out var se) && se.ValueKind == JsonValueKind.String ? BundleReader.Text(se, "startError", where) : null,
            };
            var key = ArgvKey(result.Argv);
            if (!_commands.TryGetValue(key, out var q))
            {
                _commands[key] = q = new Queue<CommandResult>();
            }

            q.Enqueue(result);
        }
    }
}
