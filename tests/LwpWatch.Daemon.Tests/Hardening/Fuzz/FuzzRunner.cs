using System.Diagnostics;
using System.Security.Cryptography;

namespace LwpWatch.Daemon.Tests.Hardening.Fuzz;

/// <summary>What one target's run found.</summary>
public sealed record FuzzReport(string Target, int Inputs, int DocumentedErrors, TimeSpan Slowest, TimeSpan Elapsed, IReadOnlyList<string> Failures);

/// <summary>
/// Runs mutated inputs through a target on a dedicated thread, watched by a timer: an input that does not
/// return within the bound is a hang (the test fails naming it; the stuck thread is a background thread and
/// cannot keep the test host alive). Failing inputs are written to <see cref="FailureDirectory"/> so they can
/// be kept as regression fixtures.
/// </summary>
public static class FuzzRunner
{
    public static readonly string FailureDirectory = Path.Combine(Path.GetTempPath(), "lwpwatch-fuzz-failures");

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
                var took = Stopwatch.GetElapsedTime(t0);
                if (took > slowest)
                {
                    slowest = took;
                }

                if (took > perInputBound)
                {
                    lock (failures)
                    {
                        failures.Add($"input took {took.TotalMilliseconds:0} ms, over the {perInputBound.TotalMilliseconds:0} ms bound (input saved to {Save(target.Name, input)})");
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
            if (started != 0 && Stopwatch.GetElapsedTime(started) > perInputBound * 4)
            {
                // A hang: report it and abandon the (background) thread.
                var path = Save(target.Name, Volatile.Read(ref current));
                lock (failures)
                {
                    failures.Add($"HANG: input did not return within {(perInputBound * 4).TotalSeconds:0.#} s (input saved to {path})");
                    return new FuzzReport(target.Name, Volatile.Read(ref done), documented, Stopwatch.GetElapsedTime(started), total.Elapsed, [.. failures]);
                }
            }
        }

        return new FuzzReport(target.Name, done, documented, slowest, total.Elapsed, failures);
    }

    private static string Save(string target, byte[] input)
    {
        Directory.CreateDirectory(FailureDirectory);
        var path = Path.Combine(FailureDirectory, $"{target}-{Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant()}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }
}
