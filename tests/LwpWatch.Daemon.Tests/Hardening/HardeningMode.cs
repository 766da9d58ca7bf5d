using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Hardening;

/// <summary>
/// Quick (default, part of every test run) or full length (LWPWATCH_HARDENING=full, or the per-area flags
/// LWPWATCH_FUZZ=full / LWPWATCH_LOAD=full / LWPWATCH_SOAK=full). Figures go to the test output and, when
/// LWPWATCH_FIGURES names a file, are appended there so bench/hardening can print them and update
/// docs/RELIABILITY.md.
/// </summary>
public static class HardeningMode
{
    public static bool Full(string area) =>
        string.Equals(Environment.GetEnvironmentVariable("LWPWATCH_HARDENING"), "full", StringComparison.OrdinalIgnoreCase)
        || string.Equals(Environment.GetEnvironmentVariable("LWPWATCH_" + area.ToUpperInvariant()), "full", StringComparison.OrdinalIgnoreCase);

    public static void Figure(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        var file = Environment.GetEnvironmentVariable("LWPWATCH_FIGURES");
        if (!string.IsNullOrEmpty(file))
        {
            lock (typeof(HardeningMode))
            {
                File.AppendAllText(file, line + "\n");
            }
        }
    }
}
