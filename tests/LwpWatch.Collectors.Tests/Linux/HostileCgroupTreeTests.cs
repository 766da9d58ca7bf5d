using System.Diagnostics;
using System.Text;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Process;
using LwpWatch.Collectors.Tests.Support;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using Xunit;
using Xunit.Abstractions;

namespace LwpWatch.Collectors.Tests.Linux;

/// <summary>
/// Issue 13 item 3 on this machine's REAL cgroup v1 pids hierarchy: one tenant's tree must not blind the host.
/// Measured before the fix: 16 nested 255-byte names failed the collector every poll ("path is too long"),
/// 2,100 one-letter levels timed it out, 17 x 255 silently dropped the deepest level and a name with invalid
/// UTF-8 was missing with its subtree and its denials. Now every other zone is reported on every poll, the bad
/// cgroups are reported (or the cut is a warning naming the subtree) and the collector succeeds.
/// </summary>
public sealed class HostileCgroupTreeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly LiveHostSource Live = new(new CommandRunner());
    private readonly RawCgroupTree tree = new("lwpw-linuxh-hostile");
    private readonly List<System.Diagnostics.Process> processes = [];

    public void Dispose()
    {
        foreach (var p in processes)
        {
            try
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // exited already
            }

            p.Dispose();
        }

        tree.Dispose();
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static IEnumerable<byte[]> Repeat(int count, Func<int, byte[]> name) => Enumerable.Range(0, count).Select(name);

    /// <summary>A 255-byte name (NAME_MAX), different per level so every level is its own cgroup name.</summary>
    private static byte[] Long(int level) => B(((char)('a' + (level % 26))).ToString() + new string('x', 254));

    [Fact]
    public async Task Every_zone_is_still_reported_on_every_poll_next_to_a_hostile_tenants_tree()
    {
        var peerA = tree.MakeChain([], [B("peer-a")]);
        var peerB = tree.MakeChain([], [B("zz-peer-b")]);
        tree.Write(peerA, "pids.max", "50");
        tree.Write(peerB, "pids.max", "60");

        var chain16 = tree.MakeChain([], [B("long16"), .. Repeat(16, Long)]);
        var chain17 = tree.MakeChain([], [B("long17"), .. Repeat(17, Long)]);
        var deep = tree.MakeChain([], [B("deep"), .. Repeat(2100, _ => B("a"))]);
        var bad = tree.MakeChain([], [[0x66, 0xff, 0xfe, 0x6f]]);
        var badChild = tree.MakeChain(bad, [B("child")]);
        tree.Write(bad, "pids.max", "2");
        var shellNames = new[] { "$(touch${IFS}x)", "`touch x`", "a;touch x;b", "x|touch x", "a;touch x;.service", "quote'\"d", "cr\rname", "esc\u001b[31m", "back\\x2dslash", "-" };
        foreach (var n in shellNames)
        {
            tree.MakeChain([], [B(n)]);
        }

        Assert.True(Encoding.UTF8.GetByteCount(tree.Top) + 1 + RawCgroupTree.ZoneId(chain16).Length > 4096, "the 16 x 255 chain is longer than PATH_MAX as an absolute path");

        // A refused fork inside the name that is not UTF-8: sh (1 task) forks twice under pids.max 2.
        var sh = Start("sh", "-c", "read x; sleep 30 & sleep 30 & wait");
        tree.Write(bad, "cgroup.procs", sh.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await sh.StandardInput.WriteLineAsync("go");
        await sh.StandardInput.FlushAsync();
        await WaitForDenial(bad);

        var settings = new LinuxSettings { CgroupRoot = tree.View, ProcRoot = "/proc" };
        var poller = new Poller([new CgroupPidsCollector(Live, settings, TimeSpan.FromSeconds(5))], TimeProvider.System, "h", "linux", TimeSpan.FromSeconds(10));
        for (var poll = 1; poll <= 3; poll++)
        {
            var sw = Stopwatch.StartNew();
            var snapshot = await poller.PollAsync(CancellationToken.None);
            sw.Stop();
            var status = Assert.Single(snapshot.Collectors);
            Assert.True(status.Success, status.Error);
            var zones = snapshot.Zones.ToDictionary(z => z.Id);
            output.WriteLine($"poll {poll}: {zones.Count} zones in {sw.Elapsed.TotalMilliseconds:0.0} ms (collector {status.Duration.TotalMilliseconds:0.0} ms)");

            Assert.Equal(50, zones["/peer-a"].LwpLimit);
            Assert.Equal(60, zones["/zz-peer-b"].LwpLimit);

            // PATH_MAX-long chains: every level is a zone, the deepest included (17 x 255: 4,398 bytes and more).
            for (var level = 1; level <= chain16.Length; level++)
            {
                Assert.True(zones.ContainsKey(RawCgroupTree.ZoneId(chain16[..level])), $"16 x 255 chain level {level} missing");
            }

            var deepest17 = zones[RawCgroupTree.ZoneId(chain17)];
            Assert.EndsWith("/pids/" + RawCgroupTree.ZoneId(chain17)[1..], deepest17.CgroupPath, StringComparison.Ordinal);

            // Not UTF-8: reported under its escaped name, with its subtree and its denial.
            var badZone = zones["/f\\xff\\xfeo"];
            Assert.Equal(2, badZone.LwpLimit);
            Assert.True(badZone.Denials >= 1, $"denials {badZone.Denials}");
            Assert.True(zones.ContainsKey(RawCgroupTree.ZoneId(badChild)));
            Assert.Equal([0x66, 0xff, 0xfe, 0x6f], CgroupName.Unescape(badZone.Id[1..]));

            foreach (var n in shellNames)
            {
                var id = "/" + CgroupName.Escape(B(n));
                Assert.True(zones.ContainsKey(id), $"{id} missing");
                Assert.Null(zones[id].Unit); // no systemd unit by that name, whatever it ends with
            }

            // 2,100 levels: read down to the depth limit, and the cut is a warning naming where.
            Assert.True(zones.ContainsKey(RawCgroupTree.ZoneId(deep[..CgroupWalk.MaxDepth])));
            Assert.False(zones.ContainsKey(RawCgroupTree.ZoneId(deep[..(CgroupWalk.MaxDepth + 1)])));
            var cut = Assert.Single(snapshot.Warnings);
            Assert.StartsWith("cgroup-pids: /deep/a/a/a/", cut, StringComparison.Ordinal);
            Assert.Equal($"cgroup-pids: {RawCgroupTree.ZoneId(deep[..CgroupWalk.MaxDepth])}: {CgroupWalk.MaxDepth} levels deep, the walk's limit: its subcgroups were not read (their tasks count in its usage; fork denials counted below it are missing)", cut);
        }
    }

    [Fact]
    public async Task Holders_are_found_in_a_zone_deeper_than_path_max()
    {
        var chain = tree.MakeChain([], [B("long17"), .. Repeat(17, Long)]);
        var sleeper = Start("sleep", "60");
        tree.Write(chain, "cgroup.procs", sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        tree.Write(chain, "pids.max", "1");

        var settings = new LinuxSettings { CgroupRoot = tree.View, ProcRoot = "/proc" };
        var poller = new Poller([new CgroupPidsCollector(Live, settings), new ProcHoldersCollector(Live, settings)], TimeProvider.System, "h", "linux", TimeSpan.FromSeconds(10));
        var snapshot = await poller.PollAsync(CancellationToken.None);

        Assert.All(snapshot.Collectors, c => Assert.True(c.Success, c.Error));
        Assert.Empty(snapshot.Warnings);
        var holder = Assert.Single(snapshot.TopHolders);
        Assert.Equal(sleeper.Id, holder.Pid);
        Assert.Equal(RawCgroupTree.ZoneId(chain), holder.ZoneId);
    }

    [Fact]
    public async Task A_2100_level_chain_costs_a_bounded_walk()
    {
        var deep = tree.MakeChain([], [B("deep"), .. Repeat(2100, _ => B("a"))]);
        var settings = new LinuxSettings { CgroupRoot = tree.View, ProcRoot = "/proc" };
        var collector = new CgroupPidsCollector(Live, settings);
        var draft = new SnapshotDraft { TakenAt = DateTimeOffset.UnixEpoch, Host = "h", Platform = "linux" };

        var times = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            var c = await collector.CollectAsync(draft, CancellationToken.None);
            times.Add(sw.Elapsed.TotalMilliseconds);
            Assert.Equal(CgroupWalk.MaxDepth, c.Zones.Length);
            Assert.Single(c.Warnings);
        }

        // A figure for the report, not an assertion (timing is never asserted in unit tests).
        output.WriteLine($"2,100-level chain: {deep.Length} levels, collector ms per poll: {string.Join(", ", times.Select(t => t.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    private System.Diagnostics.Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = System.Diagnostics.Process.Start(psi)!;
        processes.Add(p);
        return p;
    }

    private async Task WaitForDenial(byte[][] chain)
    {
        var path = Path.Combine(tree.View, "pids");
        for (var i = 0; i < 200; i++)
        {
            using var d = Live.OpenDirectory(path + RawCgroupTree.ZoneId(chain));
            var text = d.ReadText("pids.events");
            if (text is not null && !text.Contains("max 0", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(25);
        }

        Assert.Fail("no refused fork in the test cgroup");
    }
}
