using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;

namespace LwpWatch.Collectors.Process;

/// <summary>
/// The only class in LwpWatch that starts processes. argv only (no shell), LC_ALL=C so output is parseable,
/// a hard timeout that kills the whole process tree, and bounded capture of stdout/stderr so a tool that
/// prints 100 MB cannot balloon the daemon.
/// <paramref name="searchPath"/> (PATH syntax) replaces the daemon's PATH for finding bare tool names: a
/// node's service manager may start us with a minimal PATH, and tests put fake tools first.
/// </summary>
public sealed class CommandRunner(int maxOutputBytes = 8 * 1024 * 1024, string? searchPath = null)
{
    public int MaxOutputBytes => maxOutputBytes;

    public string? SearchPath => searchPath;

    public async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        var sw = Stopwatch.StartNew();
        var executable = Resolve(argv[0]);
        if (executable is null)
        {
            return Failed(argv, sw.Elapsed, $"'{argv[0]}' not found in {searchPath}");
        }

        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["LC_ALL"] = "C";
        psi.Environment["LANG"] = "C";

        using var proc = new System.Diagnostics.Process { StartInfo = psi };
        try
        {
            if (!proc.Start())
            {
                return Failed(argv, sw.Elapsed, "process did not start");
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            return Failed(argv, sw.Elapsed, ex.Message);
        }

        // No tool we run reads stdin; closing it stops one that would wait for input forever.
        try
        {
            proc.StandardInput.Close();
        }
        catch (IOException)
        {
            // The tool already exited and its stdin pipe is gone: nothing to close.
        }

        var stdout = new BoundedReader(proc.StandardOutput.BaseStream, maxOutputBytes);
        var stderr = new BoundedReader(proc.StandardError.BaseStream, Math.Min(maxOutputBytes, 256 * 1024));
        var outTask = stdout.ReadAllAsync();
        var errTask = stderr.ReadAllAsync();

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await proc.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            Kill(proc);
        }

        // Once the process is gone its pipes close; but a grandchild may hold them open, so bound the drain too.
        var drain = Task.WhenAll(outTask, errTask);
        if (await Task.WhenAny(drain, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false) != drain)
        {
            Kill(proc);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new CommandResult
        {
            Argv = [.. argv],
            ExitCode = timedOut || !proc.HasExited ? -1 : proc.ExitCode,
            // Snapshot, not the final text: a grandchild that escaped the kill may still hold the pipe open.
            Stdout = stdout.Snapshot(),
            Stderr = stderr.Snapshot(),
            Duration = sw.Elapsed,
            TimedOut = timedOut,
            Truncated = stdout.Truncated || stderr.Truncated,
        };
    }

    /// <summary>Bare names are looked up in <c>searchPath</c> when one is set; names with a '/' are used as given.</summary>
    private string? Resolve(string name)
    {
        if (searchPath is null || name.Contains('/', StringComparison.Ordinal))
        {
            return name;
        }

        foreach (var dir in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void Kill(System.Diagnostics.Process proc)
    {
        try
        {
            proc.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already exited: nothing to kill.
        }
    }

    private static CommandResult Failed(IReadOnlyList<string> argv, TimeSpan elapsed, string error) => new()
    {
        Argv = [.. argv],
        ExitCode = -1,
        Duration = elapsed,
        StartError = error,
    };

    /// <summary>Reads a pipe to its end, keeping at most <c>limit</c> bytes but always draining (so the child never blocks on a full pipe).</summary>
    private sealed class BoundedReader(Stream stream, int limit)
    {
        private readonly MemoryStream _kept = new();
        private readonly Lock _lock = new();
        private volatile bool _truncated;

        public bool Truncated => _truncated;

        /// <summary>What was kept so far (the reader may still be running if a grandchild holds the pipe).</summary>
        public string Snapshot()
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);
            }
        }

        public async Task ReadAllAsync()
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    lock (_lock)
                    {
                        var room = limit - (int)_kept.Length;
                        if (room > 0)
                        {
                            _kept.Write(buffer, 0, Math.Min(room, n));
                        }

                        if (n > room)
                        {
                            _truncated = true;
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Pipe torn down by a kill: keep what we have.
            }
        }
    }
}
