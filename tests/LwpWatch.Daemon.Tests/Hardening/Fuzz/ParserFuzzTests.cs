using System.Globalization;
using LwpWatch.Daemon.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Hardening.Fuzz;

/// <summary>
/// Mutation fuzzing of every parser (quick: over 10,000 inputs in seconds; LWPWATCH_FUZZ=full: over 100,000).
/// Pass = every input either parses or fails with the parser's documented error, and none spends more than
/// the bound of CPU (the worker thread's own CPU time, so a loaded CI host does not fail a fast input).
/// </summary>
[Trait("Category", "Hardening")]
public sealed class ParserFuzzTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);
    private readonly string _dir = TestTools.NewTempDir("lwpw-fuzz-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_parser_survives_mutated_input_with_only_documented_errors()
    {
        var full = HardeningMode.Full("fuzz");
        var perWeight = full ? 1000 : 100;
        var reports = new List<FuzzReport>();
        var seed = 1;
        foreach (var target in FuzzTargets.Parsers())
        {
            reports.Add(FuzzRunner.Run(target, target.Weight * perWeight, seed++ * 7919, Bound));
        }

        reports.Add(FuzzRunner.Run(FuzzTargets.Bundle(_dir), full ? 3000 : 300, 104729, Bound));
        Summarize(reports, full);
    }

    /// <summary>Inputs that once crashed or hung a parser, kept as fixtures (Fixtures/fuzz/&lt;target&gt;/).</summary>
    [Fact]
    public void Kept_crashing_inputs_now_fail_only_with_documented_errors()
    {
        var targets = FuzzTargets.Parsers().Append(FuzzTargets.Bundle(_dir)).ToDictionary(t => t.Name);
        var root = TestTools.FixturePath("fuzz");
        var count = 0;
        var failures = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var target = targets[Path.GetFileName(dir)];
            foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
            {
                count++;
                var input = File.ReadAllBytes(file);
                if (target.Name == "bundle")
                {
                    // Bundle inputs are named <file index>-<hash>.bin so each lands in the file it crashed.
                    var slot = int.Parse(Path.GetFileName(file)[..1], CultureInfo.InvariantCulture);
                    for (var i = 0; i < slot; i++)
                    {
                        Feed(target, target.Seeds[i], failures, file);
                    }
                }

                Feed(target, input, failures, file);
                if (target.Name == "bundle")
                {
                    // Keep the rotation aligned for the next kept input.
                    var slot = int.Parse(Path.GetFileName(file)[..1], CultureInfo.InvariantCulture);
                    for (var i = slot + 1; i < target.Seeds.Count; i++)
                    {
                        Feed(target, target.Seeds[i], failures, file);
                    }
                }
            }
        }

        output.WriteLine($"{count} kept inputs replayed");
        Assert.True(count > 0, "no regression inputs found under Fixtures/fuzz");
        Assert.Empty(failures);
    }

    private static void Feed(FuzzTarget target, byte[] input, List<string> failures, string file)
    {
        // The same measure as the fuzz run: this thread's CPU time, not wall time, which on a loaded 2-core CI box
        // also counts the time the thread waits for a core (a full run once failed an input at 2.0 s wall).
        var started = FuzzRunner.ThreadCpuTime();
        try
        {
            target.Feed(input);
            var took = FuzzRunner.ThreadCpuTime() - started;
            if (took > Bound)
            {
                // Some kept inputs were slow, not crashing (quadratic parsing): same bound as the fuzz run.
                failures.Add($"{file}: took {took.TotalMilliseconds:0} ms of CPU, over the {Bound.TotalMilliseconds:0} ms bound");
            }
        }
        catch (Exception ex) when (target.IsDocumentedError(ex))
        {
            // Documented error: fine.
        }
        catch (Exception ex)
        {
            failures.Add($"{file}: {ex.GetType().FullName}: {ex.Message}");
        }
    }

    private void Summarize(List<FuzzReport> reports, bool full)
    {
        var total = 0;
        foreach (var r in reports)
        {
            total += r.Inputs;
            HardeningMode.Figure(output, string.Create(CultureInfo.InvariantCulture, $"fuzz {r.Target,-12} inputs={r.Inputs,7} documented-errors={r.DocumentedErrors,7} slowest-cpu={r.Slowest.TotalMilliseconds,8:0.0}ms elapsed={r.Elapsed.TotalSeconds,6:0.00}s failures={r.Failures.Count}"));
        }

        HardeningMode.Figure(output, string.Create(CultureInfo.InvariantCulture, $"fuzz total inputs={total} mode={(full ? "full" : "quick")} failures={reports.Sum(r => r.Failures.Count)}"));
        var failures = reports.SelectMany(r => r.Failures.Select(f => $"[{r.Target}] {f}")).ToList();
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(10)));
        Assert.True(total >= (full ? 100_000 : 10_000), $"only {total} inputs ran");
    }
}
