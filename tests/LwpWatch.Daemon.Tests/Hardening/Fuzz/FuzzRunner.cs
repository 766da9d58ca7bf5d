using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace LwpWatch.Daemon.Tests.Hardening.Fuzz;

/// <summary>What one target's run found.</summary>
public sealed record FuzzReport(string Target, int Inputs, int DocumentedErrors, TimeSpan Slowest, TimeSpan Elapsed, IReadOnlyList<string> Failures);

/// <summary>
/// Runs mutated inputs through a target on a dedicated thread, watched by a timer. The per-input bound is on
/// the worker thread's own CPU time (CLOCK_THREAD_CPUTIME_ID), not on wall time: a quadratic parser burns CPU
/// whatever the machine does, while wall time also counts the minutes a loaded 2-core CI host keeps the thread
/// off a core (a full run once failed an input at 2.0 s wall that costs milliseconds alone). An input still
/// running after <see cref="HangWall"/> of wall time is a hang (the test fails naming it; the stuck thread is
/// a background thread and cannot keep the test host alive). Failing inputs are written to <see cref="FailureDirectory"/> so they can
/// be kept as regression fixtures.
/// </summary>
public static class FuzzRunner
{
    public static readonly string FailureDirectory = Path.Combine(Path.GetTempPath(), "lwpwatch-fuzz-failures");

    /// <summary>Wall time after which an input in flight is a hang: far beyond any per-input CPU bound.</summary>
    public static readonly TimeSpan HangWall = TimeSpan.FromSeconds(60);

    public static FuzzReport Run(FuzzTarget target, int inputs, int seed, TimeSpan perInputBound)
    {
        var failures = new List<string>();
        var documented = 0;
        var slowest = TimeSpan.Zero;
        var current = Array.Empty<byte>();
        long startedAt = 0; // Stopwatch ticks of the input in flight, 0 when idle
        var done = 0;
        var total = Stopwatch.StartNew();

        var worker = new Thread(() =>
        {
            var mutator = new Mutator(seed);
            for (var i = 0; i < inputs && failures.Count < 20; i++)
            {
                var baseSeed = target.Seeds[i % target.Seeds.Count];
                var input = i < target.Seeds.Count ? baseSeed : mutator.Mutate(baseSeed, target.Seeds);
                Volatile.Write(ref current, input);
                var t0 = Stopwatch.GetTimestamp();
                var cpu0 = ThreadCpuTime();
                Volatile.Write(ref startedAt, t0);
                try
                {
                    target.Feed(input);
                }
                catch (Exception ex) when (target.IsDocumentedError(ex))
                {
                    documented++;
                }
                catch (Exception ex)
                {
                    lock (failures)
                    {
                        failures.Add($"{ex.GetType().FullName}: {ex.Message} (input saved to {Save(target.Name, input)})\n{ex.StackTrace}");
                    }
                }

                Volatile.Write(ref startedAt, 0);
                var took = ThreadCpuTime() - cpu0;
                if (took > slowest)
                {
                    slowest = took;
                }

                if (took > perInputBound)
                {
                    lock (failures)
                    {
                        failures.Add($"input took {took.TotalMilliseconds:0} ms of CPU, over the {perInputBound.TotalMilliseconds:0} ms bound (input saved to {Save(target.Name, input)})");
                    }
                }

                Interlocked.Increment(ref done);
            }
        })
        { IsBackground = true, Name = "fuzz-" + target.Name };

        worker.Start();
        while (!worker.Join(TimeSpan.FromMilliseconds(50)))
        {
            var started = Volatile.Read(ref startedAt);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > HangWall)
            {
                // A hang: report it and abandon the (background) thread.
                var path = Save(target.Name, Volatile.Read(ref current));
                lock (failures)
                {
                    failures.Add($"HANG: input did not return within {HangWall.TotalSeconds:0} s (input saved to {path})");
                    return new FuzzReport(target.Name, Volatile.Read(ref done), documented, Stopwatch.GetElapsedTime(started), total.Elapsed, [.. failures]);
                }
            }
        }

        return new FuzzReport(target.Name, done, documented, slowest, total.Elapsed, failures);
    }

    /// <summary>CPU time of the calling thread so far; also the kept-input replay's measure (ParserFuzzTests).</summary>
    internal static TimeSpan ThreadCpuTime()
    {
        const int ClockThreadCpuTimeId = 3; // <linux/time.h> CLOCK_THREAD_CPUTIME_ID
        if (clock_gettime(ClockThreadCpuTimeId, out var ts) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        }

        return TimeSpan.FromTicks((ts.Seconds * TimeSpan.TicksPerSecond) + (ts.Nanoseconds / 100));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clockId, out Timespec ts);

    private static string Save(string target, byte[] input)
    {
        Directory.CreateDirectory(FailureDirectory);
        var path = Path.Combine(FailureDirectory, $"{target}-{Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant()}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }
}
