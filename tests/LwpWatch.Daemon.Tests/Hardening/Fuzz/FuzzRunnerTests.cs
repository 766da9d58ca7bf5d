using System.Diagnostics;
using Xunit;

namespace LwpWatch.Daemon.Tests.Hardening.Fuzz;

/// <summary>The runner's bound is CPU, not wall time: a slow parser fails, a descheduled fast one does not.</summary>
public sealed class FuzzRunnerTests
{
    private static FuzzTarget Target(string name, Action<byte[]> feed) =>
        new(name, [[1, 2, 3]], feed, _ => false);

    [Fact]
    public void An_input_that_burns_cpu_past_the_bound_is_a_failure()
    {
        var report = FuzzRunner.Run(Target("spin", _ =>
        {
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < 400)
            {
                Thread.SpinWait(1000);
            }
        }), inputs: 1, seed: 1, perInputBound: TimeSpan.FromMilliseconds(50));

        Assert.Contains(report.Failures, f => f.Contains("of CPU, over the 50 ms bound", StringComparison.Ordinal));
    }

    [Fact]
    public void An_input_off_cpu_for_longer_than_the_bound_is_not_a_failure()
    {
        // Sleeping stands for a loaded host keeping the fuzz thread off a core: wall time passes, CPU does not.
        var report = FuzzRunner.Run(Target("sleep", _ => Thread.Sleep(400)), inputs: 1, seed: 1, perInputBound: TimeSpan.FromMilliseconds(50));

        Assert.Empty(report.Failures);
        Assert.Equal(1, report.Inputs);
    }
}
