using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LwpWatch.Core.Model;
using LwpWatch.Daemon.Tests.Support;
using LwpWatch.Tests.Shared;
using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Integration;

/// <summary>
/// Issue 13's acceptance on this machine's REAL cgroup v1 pids hierarchy: one capped cgroup per hostile name of
/// tests/corpus/hostile-names.txt, each refusing forks; the real `lwpwatch check --format json`, `check` (table)
/// and `explain` print their hints; EVERY printed hint is executed with `sh -c` exactly as printed, and afterwards
/// exactly the intended pids.max files changed (each to its finding's suggested cap), no other pids.max under the
/// test parent changed, no marker file appeared, no other program ran (systemctl and docker are recorder stubs:
/// there is no manager owning these cgroups and no docker position), and no output held a raw control byte.
/// /metrics of a running daemon over the same cgroups passes promtool.
/// </summary>
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed class HostileNameHintTests(ITestOutputHelper output)
{
    private const int Cap = 3;

    [Fact]
    public async Task Every_printed_hint_executed_in_sh_changes_exactly_its_own_pids_max()
    {
        Assert.True(RealCgroup.Available, "this test needs root and the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids");
        using var tree = new HostileTree(output);
        using var sh = new ShellHarness("/bin/sh");

        // 1. The real binary's three outputs.
        var (code, json, err) = TestTools.Run(TestTools.Lwpwatch, ["check", "--format", "json"], TimeSpan.FromSeconds(120));
        Assert.True(code == 2, $"check exit {code}: {err}");
        using var doc = JsonDocument.Parse(json);
        var zones = doc.RootElement.GetProperty("zones").EnumerateArray().Select(z => z.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
        var findings = doc.RootElement.GetProperty("findings").EnumerateArray().Where(f => tree.Owns(f.GetProperty("zone").GetString()!)).ToList();
        var missing = tree.Leaves.Where(l => !zones.Contains(l.ZoneId)).Select(l => l.ZoneId).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} zones missing from check: {string.Join(" | ", missing)}");
        foreach (var leaf in tree.Leaves)
        {
            Assert.Contains(findings, f => f.GetProperty("zone").GetString() == leaf.ZoneId && f.GetProperty("rule").GetString() == "fork-denied");
        }

        var (tcode, table, _) = TestTools.Run(TestTools.Lwpwatch, ["check", "--all"], TimeSpan.FromSeconds(120));
        Assert.Equal(2, tcode);
        AssertNoRawControl("check table", table);
        var explains = new List<string>();
        foreach (var leaf in tree.Leaves)
        {
            var (ecode, text, eerr) = TestTools.Run(TestTools.Lwpwatch, ["explain", leaf.ZoneId, "--polls", "1"], TimeSpan.FromSeconds(60));
            Assert.True(ecode == 2, $"explain {leaf.ZoneId}: exit {ecode} {eerr}");
            AssertNoRawControl("explain " + leaf.ZoneId, text);
            explains.Add(text);
        }

        // 2. Every hint any of them printed, each once.
        var hints = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in findings)
        {
            foreach (var h in f.GetProperty("hints").EnumerateArray())
            {
                hints.Add(h.GetString()!);
            }
        }

        var fromJson = hints.Count;
        foreach (var line in table.Split('\n').Where(l => l.StartsWith("         fix: ", StringComparison.Ordinal)))
        {
            var h = line["         fix: ".Length..];
            if (tree.Mentions(h))
            {
                hints.Add(h);
            }
        }

        foreach (var text in explains)
        {
            var fix = text.Split('\n').SkipWhile(l => l != "Fix:").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("  note:", StringComparison.Ordinal));
            foreach (var l in fix)
            {
                hints.Add(l[2..]);
            }
        }

        Assert.Equal(fromJson, hints.Count); // table and explain print the same commands as the JSON
        output.WriteLine($"{tree.Leaves.Count} capped cgroups, {hints.Count} distinct hints");

        // 3. Execute each as printed; record what changed.
        var suggested = findings.Where(f => f.GetProperty("evidence").TryGetProperty("suggestedLimit", out _))
            .GroupBy(f => f.GetProperty("zone").GetString()!)
            .ToDictionary(g => g.Key, g => g.Select(f => f.GetProperty("evidence").GetProperty("suggestedLimit").GetInt64()).Distinct().Single(), StringComparer.Ordinal);
        var before = tree.PidsMaxFiles();
        foreach (var h in hints)
        {
            var run = sh.Run(h);
            Assert.True(run.ExitCode == 0, $"sh -c {h}: exit {run.ExitCode} {run.Stderr}");
            Assert.True(run.Programs.Count == 0, $"sh -c {h} ran {string.Join(" ", run.Programs.Select(p => Encoding.UTF8.GetString(p[0])))}");
        }

        var after = tree.PidsMaxFiles();
        Assert.Empty(ShellHarness.List(sh.Tree)); // no marker: no tenant command ran
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        foreach (var (zone, value) in after)
        {
            var expected = tree.IsLeaf(zone) ? suggested[zone].ToString(CultureInfo.InvariantCulture) : before[zone];
            Assert.True(expected == value, $"{zone}/pids.max: {before[zone]} -> {value}, expected {expected}");
        }

        Assert.Equal("max", after[tree.ParentZoneId]); // a '$(...)' that expanded to nothing would have written the parent's

        // 4. The daemon's /metrics over the same hostile cgroups is valid exposition.
        var state = TestTools.NewTempDir();
        try
        {
            using var daemon = new DaemonProcess([], $"state:\n  dir: {state}\n");
            var metrics = await daemon.WaitForAsync("/metrics", TimeSpan.FromSeconds(60), b => b.Contains(tree.ParentZoneId, StringComparison.Ordinal));
            var (pc, po, pe) = Promtool.CheckMetrics(metrics);
            Assert.True(pc == 0, $"promtool: {po}{pe}");
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    private static void AssertNoRawControl(string what, string text)
    {
        var bad = text.FirstOrDefault(c => c != '\n' && (char.IsControl(c) || c is >= '\u0080' and <= '\u009f'));
        Assert.True(bad == default, $"{what} printed a raw control character U+{(int)bad:X4}");
    }

    /// <summary>
    /// /sys/fs/cgroup/pids/lwpw-core-&lt;random&gt;/&lt;each corpus entry&gt;, the leaves capped at 3 with a process asking for
    /// 5 threads in each (2 created, 3 refused). Dispose kills them and removes every cgroup depth-first.
    /// </summary>
    private sealed class HostileTree : IDisposable
    {
        private readonly List<Process> _procs = [];
        private readonly ITestOutputHelper _output;

        public HostileTree(ITestOutputHelper output)
        {
            _output = output;
            Parent = "lwpw-core-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                foreach (var escaped in HostileNames.Escaped())
                {
                    var dir = Bytes($"{RealCgroup.PidsRoot}/{Parent}/").Concat(CgroupName.Unescape(escaped)).ToArray();
                    ShellHarness.MakeDirectories(dir);
                    ShellHarness.WriteFile([.. dir, .. "/pids.max"u8], Cap.ToString(CultureInfo.InvariantCulture));
                    Leaves.Add(new Leaf($"/{Parent}/{escaped}", dir));
                }

                // Intermediate cgroups (tenant/) stay unlimited: only the leaves are capped.
                foreach (var l in Leaves)
                {
                    Start(l);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public string Parent { get; }

        public string ParentZoneId => "/" + Parent;

        public List<Leaf> Leaves { get; } = [];

        public bool Owns(string zoneId) => zoneId == ParentZoneId || zoneId.StartsWith(ParentZoneId + "/", StringComparison.Ordinal);

        public bool IsLeaf(string zoneId) => Leaves.Any(l => l.ZoneId == zoneId);

        /// <summary>Whether a printed line names a path below the test parent (in any rendering).</summary>
        public bool Mentions(string line) => line.Contains(Parent, StringComparison.Ordinal);

        /// <summary>Zone id -> content of its pids.max, for every cgroup below (and including) the parent.</summary>
        public Dictionary<string, string> PidsMaxFiles()
        {
            var root = $"{RealCgroup.PidsRoot}/{Parent}";
            var result = new Dictionary<string, string>(StringComparer.Ordinal) { [ParentZoneId] = File.ReadAllText(root + "/pids.max").Trim() };
            foreach (var rel in ShellHarness.List(root))
            {
                if (rel.AsSpan().EndsWith("/pids.max"u8))
                {
                    var dir = rel[..^"/pids.max".Length];
                    result[$"{ParentZoneId}/{CgroupName.Escape(dir)}"] = ShellHarness.ReadFile([.. Bytes(root + "/"), .. rel])!.Trim();
                }
            }

            return result;
        }

        public void Dispose()
        {
            foreach (var p in _procs)
            {
                try
                {
                    p.Kill(true);
                    p.WaitForExit(5000);
                }
                catch (InvalidOperationException)
                {
                }

                p.Dispose();
            }

            // rmdir depth-first (cgroupfs has no rm -r), retried while the killed tasks are reaped.
            var root = $"{RealCgroup.PidsRoot}/{Parent}";
            for (var i = 0; i < 100 && Directory.Exists(root); i++)
            {
                TestTools.Run("find", [root, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], TimeSpan.FromSeconds(30));
                if (Directory.Exists(root))
                {
                    Thread.Sleep(100);
                }
            }

            if (Directory.Exists(root))
            {
                _output.WriteLine($"cgroup {root} left behind");
            }
        }

        private void Start(Leaf leaf)
        {
            // The shell waits on stdin until its pid is in the cgroup, then becomes the spawn helper there: 1 + 2
            // threads fit the cap of 3, the other 3 creations are refused (pids.events max 3).
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add($"read go; exec {TestTools.Spawn} 5");
            var p = Process.Start(psi)!;
            _procs.Add(p);
            ShellHarness.WriteFile([.. leaf.Dir, .. "/cgroup.procs"u8], p.Id.ToString(CultureInfo.InvariantCulture));
            p.StandardInput.WriteLine("go");
            p.StandardInput.Flush();
            var line = p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
            Assert.Equal("threads_created=2 of 5", line);
        }

        private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);
    }

    private sealed record Leaf(string ZoneId, byte[] Dir);
}
