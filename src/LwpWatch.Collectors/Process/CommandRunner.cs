using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;

namespace LwpWatch.Collectors.Process;

/// <summary>
/// The only class in LwpWatch that starts processes. argv only (no shell), LC_ALL=C so output is parseable,
/// a hard timeout that kills the whole process tree, and bounded capture of stdout/stderr so a tool that
/// prints 100 MB cannot balloon the daemon.
/// </summary>
public sealed class CommandRunner(int maxOutputBytes = 8 * 1024 * 1024)
{
    public int MaxOutputBytes => maxOutputBytes;

    public async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        var psi = new ProcessStartInfo(argv[0])
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

        var sw = Stopwatch.StartNew();
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
        proc.StandardInput.Close();

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
            Stdout = stdout.Text,
            Stderr = stderr.Text,
            Duration = sw.Elapsed,
            TimedOut = timedOut,
            Truncated = stdout.Truncated || stderr.Truncated,
        };
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

        public bool Truncated { get; private set; }

        public string Text { get; private set; } = "";

        public async Task ReadAllAsync()
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    var room = limit - (int)_kept.Length;
                    if (room > 0)
                    {
                        _kept.Write(buffer, 0, Math.Min(room, n));
                    }

                    if (n > room)
                    {
                        Truncated = true;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Pipe torn down by a kill: keep what we have.
            }

            Text = Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);
        }
    }
}
