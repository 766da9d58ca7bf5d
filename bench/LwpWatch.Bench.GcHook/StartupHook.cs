using System.Globalization;

#pragma warning disable CA1050 // The runtime looks for exactly "StartupHook" in the global namespace.

/// <summary>
/// Loaded into the daemon by DOTNET_STARTUP_HOOKS when bench/footprint starts it. Once a second it appends one
/// line to $LWPW_BENCH_GC_OUT: unix ms, gen0/gen1/gen2 collection counts, total bytes allocated, managed heap in use,
/// total GC pause ms. Costs one sleeping thread and a line of I/O per second.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("LWPW_BENCH_GC_OUT");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var thread = new Thread(() => Sample(path)) { IsBackground = true, Name = "bench-gc-sampler" };
        thread.Start();
    }

    private static void Sample(string path)
    {
        while (true)
        {
            var line = string.Create(
                CultureInfo.InvariantCulture,
                $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} " +
                $"{GC.GetTotalAllocatedBytes(precise: false)} {GC.GetTotalMemory(forceFullCollection: false)} {GC.GetTotalPauseDuration().TotalMilliseconds:0.###}\n");
            File.AppendAllText(path, line);
            Thread.Sleep(1000);
        }
    }
}
