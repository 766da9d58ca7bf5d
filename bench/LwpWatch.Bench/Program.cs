using System.Diagnostics;
using System.Globalization;
using LwpWatch.Collectors;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;

namespace LwpWatch.Bench;

/// <summary>
/// In-process timing of LwpWatch's Linux collection pass, for the bench/ scripts:
///   collect  --cgroup-root DIR [--proc-root DIR] [--iterations N] [--warmup N]
///            [--c-reader EXE --c-hierarchy DIR [--rounds K]]   interleave K blocks of the C reader
///            (bench/helpers/cgread.c in serve mode) with K blocks of LwpWatch: one run, same conditions
///   fixture  --out DIR --zones N      (a synthetic cgroup-v2-shaped tree with pids files)
///   zonexml  --xml FILE --zones N [--iterations K]   the illumos zone-config collector over N copies of a
///            real /etc/zones file: first poll (every file parsed) vs steady polls (one stat per zone, cached)
/// Prints one line of key=value figures so the scripts can compute ratios against the C reader.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            await Console.Error.WriteLineAsync("usage: LwpWatch.Bench collect --cgroup-root DIR [--proc-root DIR] [--iterations N] [--warmup N] | fixture --out DIR --zones N");
            return 64;
        }

        var opts = ParseFlags(args.AsSpan(1));
        try
        {
            return args[0] switch
            {
                "collect" => await CollectAsync(opts),
                "fixture" => Fixture(opts),
                "zonexml" => await ZoneXmlAsync(opts),
                _ => Usage(args[0]),
            };
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 64;
        }
    }

    private static int Usage(string verb)
    {
        Console.Error.WriteLine($"unknown verb '{verb}'");
        return 64;
    }

    private static Dictionary<string, string> ParseFlags(ReadOnlySpan<string> args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --flag value, got '{args[i]}'");
            }

            d[args[i][2..]] = args[++i];
        }

        return d;
    }

    private static string Required(Dictionary<string, string> o, string key) =>
        o.TryGetValue(key, out var v) ? v : throw new ArgumentException($"--{key} is required");

    private static int Int(Dictionary<string, string> o, string key, int fallback) =>
        o.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static async Task<int> CollectAsync(Dictionary<string, string> o)
    {
        var options = new LwpWatchOptions
        {
            Linux = new LinuxSettings
            {
                CgroupRoot = Required(o, "cgroup-root"),
                ProcRoot = o.GetValueOrDefault("proc-root", "/proc"),
            },
        };
        var iterations = Int(o, "iterations", 200);
        var warmup = Int(o, "warmup", 30);
        var io = new LiveHostSource(new CommandRunner());
        var collectors = CollectorFactory.Create(CollectorFactory.Linux, options, io);
        var poller = new Poller(collectors, TimeProvider.System, "bench", CollectorFactory.Linux, TimeSpan.FromSeconds(30));
        var cgroupOnly = collectors[0];

        // Warm-up runs the JIT through its tiers (the daemon runs forever, so steady state is what counts).
        for (var i = 0; i < warmup; i++)
        {
            _ = await poller.PollAsync(CancellationToken.None);
        }

        var full = new List<double>(iterations);
        var cg = new List<double>(iterations);
        var cTimes = new List<double>(iterations);
        var roundRatios = new List<double>();
        double lwCpuMs = 0, cCpuMs = 0;
        long allocFull = 0, allocCg = 0;
        var gc0 = GC.CollectionCount(0);
        LwpWatch.Core.Model.Snapshot? last = null;
        using var cReader = CReader.StartIfRequested(o);
        string? cLine = null;
        var ignored = 0.0;
        cReader?.Run(5, null, ref ignored); // its own warm-up
        var rounds = cReader is null ? 1 : Math.Max(1, Int(o, "rounds", 10));
        var perRound = Math.Max(1, iterations / rounds);
        for (var r = 0; r < rounds; r++)
        {
            // Alternate which side goes first so neither always runs right after the other's cache warm-up.
            if (cReader is not null && r % 2 == 0)
            {
                cLine = cReader.Run(perRound, cTimes, ref cCpuMs);
            }

            var lwStart = full.Count;
            var cpu0 = CpuMs();
            for (var i = 0; i < perRound; i++)
            {
                var a0 = GC.GetAllocatedBytesForCurrentThread();
                var t0 = Stopwatch.GetTimestamp();
                last = await poller.PollAsync(CancellationToken.None);
                full.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                allocFull += GC.GetAllocatedBytesForCurrentThread() - a0;
            }

            lwCpuMs += CpuMs() - cpu0;
            for (var i = 0; i < perRound; i++)
            {
                var draft = new SnapshotDraft { TakenAt = DateTimeOffset.UnixEpoch, Host = "bench", Platform = "linux" };
                var a1 = GC.GetAllocatedBytesForCurrentThread();
                var t1 = Stopwatch.GetTimestamp();
                _ = await cgroupOnly.CollectAsync(draft, CancellationToken.None);
                cg.Add(Stopwatch.GetElapsedTime(t1).TotalMilliseconds);
                allocCg += GC.GetAllocatedBytesForCurrentThread() - a1;
            }
            if (cReader is not null && r % 2 == 1)
            {
                cLine = cReader.Run(perRound, cTimes, ref cCpuMs);
            }

            if (cReader is not null)
            {
                var cRound = Median(cTimes.GetRange(cTimes.Count - perRound, perRound));
                roundRatios.Add(Median(full.GetRange(lwStart, perRound)) / cRound);
            }
        }

        var failed = 0;
        foreach (var c in last!.Collectors)
        {
            if (!c.Success)
            {
                failed++;
                await Console.Error.WriteLineAsync($"collector {c.Name} failed: {c.Error}");
            }
        }

        long denials = 0;
        foreach (var z in last.Zones)
        {
            denials += z.Denials ?? 0;
        }

        var n = full.Count;
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"lwpwatch zones={last.Zones.Length} denials={denials} holders={last.TopHolders.Length} iterations={n} " +
            $"poll_median_ms={Median(full):0.000} poll_min_ms={Min(full):0.000} poll_p90_ms={Percentile(full, 0.9):0.000} " +
            $"cgroup_median_ms={Median(cg):0.000} cgroup_min_ms={Min(cg):0.000} " +
            $"alloc_per_poll_kb={allocFull / n / 1024.0:0.0} alloc_per_cgroup_pass_kb={allocCg / n / 1024.0:0.0} " +
            $"gen0_gcs={GC.CollectionCount(0) - gc0} failed_collectors={failed} " +
            $"cpu_ms_per_poll={lwCpuMs / n:0.000}");
        if (cReader is not null)
        {
            line += string.Create(
                CultureInfo.InvariantCulture,
                $" c_{cLine} c_median_ms={Median(cTimes):0.000} c_min_ms={Min(cTimes):0.000} rounds={rounds} " +
                $"ratio_poll_median={Median(full) / Median(cTimes):0.00} ratio_poll_min={Min(full) / Min(cTimes):0.00} " +
                $"ratio_cgroup_median={Median(cg) / Median(cTimes):0.00} ratio_rounds_median={Median(roundRatios):0.00} " +
                $"c_cpu_ms_per_pass={cCpuMs / cTimes.Count:0.000} ratio_cpu={lwCpuMs / n / (cCpuMs / cTimes.Count):0.00}");
        }

        Console.WriteLine(line);
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// The illumos zone-config collector (LiveHostSource, real files) over N zone XML files: the first pass parses
    /// every file (the baseline, as after a daemon start), the steady passes only stat them (mtime + inode
    /// unchanged). Prints both medians and their ratio.
    /// </summary>
    private static async Task<int> ZoneXmlAsync(Dictionary<string, string> o)
    {
        var n = Int(o, "zones", 1000);
        var iterations = Int(o, "iterations", 50);
        var template = File.ReadAllText(Required(o, "xml"));
        var name = System.Text.RegularExpressions.Regex.Match(template, "<zone name=\"([^\"]+)\"").Groups[1].Value;
        var dir = Directory.CreateTempSubdirectory("lwpw-bench-zonexml-").FullName;
        try
        {
            var zones = System.Collections.Immutable.ImmutableArray.CreateBuilder<LwpWatch.Core.Model.Zone>(n);
            for (var i = 0; i < n; i++)
            {
                var id = Guid.NewGuid().ToString("D");
                File.WriteAllText(Path.Combine(dir, id + ".xml"), template.Replace(name, id, StringComparison.Ordinal));
                zones.Add(new LwpWatch.Core.Model.Zone { Id = id, Kind = LwpWatch.Core.Model.ZoneKind.IllumosZone, Name = id, State = "running", ZonePath = "/zones/" + id });
            }

            var draft = new SnapshotDraft { TakenAt = DateTimeOffset.UtcNow, Host = "bench", Platform = "illumos" }.With(new Contribution { Zones = zones.MoveToImmutable() });
            var settings = new IllumosSettings { ZoneConfigDir = dir, ZonesRoot = dir };
            var io = new LiveHostSource(new CommandRunner());
            var first = new List<double>();
            var steady = new List<double>();
            for (var i = 0; i < Math.Max(3, iterations / 10); i++)
            {
                var fresh = new LwpWatch.Collectors.Illumos.ZoneConfigCollector(io, settings);
                var sw = Stopwatch.StartNew();
                var c = await fresh.CollectAsync(draft, CancellationToken.None);
                first.Add(sw.Elapsed.TotalMilliseconds);
                if (c.Zones.Length != n || c.Zones.Any(z => z.LwpLimit is null))
                {
                    throw new InvalidOperationException($"expected {n} zones with a cap, got {c.Zones.Length}");
                }
            }

            var collector = new LwpWatch.Collectors.Illumos.ZoneConfigCollector(io, settings);
            await collector.CollectAsync(draft, CancellationToken.None);
            for (var i = 0; i < iterations; i++)
            {
                var sw = Stopwatch.StartNew();
                await collector.CollectAsync(draft, CancellationToken.None);
                steady.Add(sw.Elapsed.TotalMilliseconds);
            }

            var f = Median(first);
            var st = Median(steady);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"zones={n} first-poll-ms={f:0.00} steady-poll-ms={st:0.00} steady/first={st / f:0.000}"));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Median(List<double> xs) => Percentile(xs, 0.5);

    private static double Min(List<double> xs) => Percentile(xs, 0);

    private static double Percentile(List<double> xs, double p)
    {
        var a = xs.ToArray();
        Array.Sort(a);
        return a[Math.Min(a.Length - 1, (int)(a.Length * p))];
    }

    /// <summary>A cgroup-v2-shaped tree: cgroup.controllers with pids at the root, then N leaf zones spread
    /// over slices (like systemd's system.slice/&lt;unit&gt;), each with pids.max/current/events/peak.</summary>
    private static int Fixture(Dictionary<string, string> o)
    {
        var root = Required(o, "out");
        var zones = Int(o, "zones", 10_000);
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        const int perSlice = 500;
        for (var i = 0; i < zones; i++)
        {
            var slice = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"bench-{i / perSlice}.slice"));
            if (i % perSlice == 0)
            {
                WriteZone(slice, "max", 0, 0);
            }

            var dir = Path.Combine(slice, string.Create(CultureInfo.InvariantCulture, $"app-{i}.service"));
            var cap = 64 + (i % 7);
            var current = i % 100 == 0 ? cap : i % 13;
            WriteZone(dir, cap.ToString(CultureInfo.InvariantCulture), current, i % 100 == 0 ? 3 : 0);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fixture zones={zones} slices={(zones + perSlice - 1) / perSlice} root={root}"));
        return 0;
    }

    private static void WriteZone(string dir, string max, int current, int denied)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "pids.max"), max + "\n");
        File.WriteAllText(Path.Combine(dir, "pids.current"), string.Create(CultureInfo.InvariantCulture, $"{current}\n"));
        File.WriteAllText(Path.Combine(dir, "pids.peak"), string.Create(CultureInfo.InvariantCulture, $"{current}\n"));
        File.WriteAllText(Path.Combine(dir, "pids.events"), string.Create(CultureInfo.InvariantCulture, $"max {denied}\n"));
        File.WriteAllText(Path.Combine(dir, "pids.events.local"), string.Create(CultureInfo.InvariantCulture, $"max {denied}\n"));
    }

    /// <summary>The C reference reader in serve mode: one line in ("passes"), one line of timings out.</summary>
    private sealed class CReader : IDisposable
    {
        private readonly Process process;

        private CReader(Process process) => this.process = process;

        public static CReader? StartIfRequested(Dictionary<string, string> o)
        {
            if (!o.TryGetValue("c-reader", out var exe))
            {
                return null;
            }

            var psi = new ProcessStartInfo(exe)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(Required(o, "c-hierarchy"));
            psi.ArgumentList.Add(o.GetValueOrDefault("proc-root", "/proc"));
            psi.ArgumentList.Add("serve");
            return new CReader(Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}"));
        }

        /// <summary>Runs <paramref name="passes"/> timed passes; appends their ms to <paramref name="into"/>; returns the zones/denials/holders part.</summary>
        public string Run(int passes, List<double>? into, ref double cpuMs)
        {
            process.StandardInput.WriteLine(passes.ToString(CultureInfo.InvariantCulture));
            process.StandardInput.Flush();
            var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("C reader exited");
            var ms = line.IndexOf(" ms=", StringComparison.Ordinal);
            var cpu = line.IndexOf(" cpu_ms=", StringComparison.Ordinal);
            cpuMs += double.Parse(line[(cpu + 8)..], CultureInfo.InvariantCulture);
            if (into is not null)
            {
                foreach (var t in line[(ms + 4)..cpu].Split(','))
                {
                    into.Add(double.Parse(t, CultureInfo.InvariantCulture));
                }
            }

            return line[..ms].Replace(" ", " c_", StringComparison.Ordinal);
        }

        public void Dispose()
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
            }

            process.Dispose();
        }
    }

    /// <summary>User + system CPU of this whole process (JIT and GC threads included), in ms, from getrusage.</summary>
    private static double CpuMs()
    {
        var r = new long[18];
        if (GetRUsage(0, r) != 0)
        {
            throw new InvalidOperationException("getrusage failed");
        }

        // struct rusage starts with ru_utime and ru_stime, each a timeval of two longs (s, us) on 64-bit Linux.
        return ((r[0] + r[2]) * 1e3) + ((r[1] + r[3]) / 1e3);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRUsage(int who, long[] usage);
}
