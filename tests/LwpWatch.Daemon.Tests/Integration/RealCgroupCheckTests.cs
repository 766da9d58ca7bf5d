using System.Text.Json;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Integration;

/// <summary>
/// The skeleton's end-to-end proof on REAL cgroups: a pids cgroup capped at 40 whose process asks for 100
/// threads, seen by the real `lwpwatch` executable (the JIT build, and in test.sh's second pass the
/// published NativeAOT binary).
/// </summary>
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed class RealCgroupCheckTests
{
    [Fact]
    public void Check_reports_a_real_capped_cgroup_with_denials_as_critical_then_clean_after_removal()
    {
        Assert.True(RealCgroup.Available, "this test needs root and the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids");
        string zoneId;
        using (var cg = new RealCgroup(max: 40))
        {
            zoneId = cg.ZoneId;
            var report = cg.StartThreads(100);
            Assert.StartsWith("threads_created=39", report, StringComparison.Ordinal); // 1 main + 39 threads = 40

            var (code, stdout, stderr) = TestTools.Run(TestTools.Lwpwatch, ["check", "--format", "json"], TimeSpan.FromSeconds(60));
            Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
            using var doc = JsonDocument.Parse(stdout);
            Assert.Equal("critical", doc.RootElement.GetProperty("status").GetString());
            var zone = doc.RootElement.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == zoneId);
            Assert.Equal("cgroup", zone.GetProperty("kind").GetString());
            Assert.Equal(40, zone.GetProperty("lwps").GetInt64());
            Assert.Equal(40, zone.GetProperty("lwpLimit").GetInt64());
            Assert.Equal(61, zone.GetProperty("denials").GetInt64()); // 100 asked, 39 created

            var denied = doc.RootElement.GetProperty("findings").EnumerateArray()
                .Where(f => f.GetProperty("rule").GetString() == "fork-denied" && f.GetProperty("zone").GetString() == zoneId)
                .ToList();
            var finding = Assert.Single(denied);
            Assert.Equal("critical", finding.GetProperty("severity").GetString());
            Assert.Contains(finding.GetProperty("hints").EnumerateArray(), h => h.GetString() == $"echo 200 > {cg.Path}/pids.max"); // 40 held + 61 refused = 101, the 1 + 100 asked, x1.5 -> 200
            Assert.True(DateTimeOffset.TryParse(finding.GetProperty("since").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        }

        var (code2, stdout2, _) = TestTools.Run(TestTools.Lwpwatch, ["check", "--format", "json"], TimeSpan.FromSeconds(60));
        using var after = JsonDocument.Parse(stdout2);
        Assert.DoesNotContain(after.RootElement.GetProperty("zones").EnumerateArray(), z => z.GetProperty("id").GetString() == zoneId);
        Assert.DoesNotContain(after.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("zone").GetString() == zoneId);
        Assert.DoesNotContain(zoneId, stdout2, StringComparison.Ordinal);
        _ = code2; // other cgroups on the machine (a helper's container) may still be critical
    }

    [Fact]
    public void Check_table_shows_usage_limit_and_percent()
    {
        Assert.True(RealCgroup.Available, "needs root and /sys/fs/cgroup/pids");
        using var cg = new RealCgroup(max: 50);
        cg.StartThreads(10); // 11 tasks of 50: no finding for this zone
        var (_, stdout, _) = TestTools.Run(TestTools.Lwpwatch, ["check"], TimeSpan.FromSeconds(60));
        var line = stdout.Split('\n').Single(l => l.StartsWith(cg.ZoneId + " ", StringComparison.Ordinal));
        var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["cgroup", "11", "50", "22.0", "0"], new[] { cols[1], cols[3], cols[4], cols[5], cols[6] });
        Assert.DoesNotContain(cg.ZoneId + ")", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Capture_records_a_real_capped_cgroup_and_check_and_explain_replay_it()
    {
        Assert.True(RealCgroup.Available, "needs root and /sys/fs/cgroup/pids");
        var dir = TestTools.NewTempDir();
        var bundle = Path.Combine(dir, "bundle");
        try
        {
            string zoneId;
            using (var cg = new RealCgroup(max: 30))
            {
                zoneId = cg.ZoneId;
                cg.StartThreads(60);
                var cap = TestTools.Run(TestTools.Lwpwatch, ["capture", "--out", bundle, "--polls", "2", "--interval", "1s"], TimeSpan.FromSeconds(120));
                Assert.True(cap.ExitCode == 0, $"capture exit {cap.ExitCode}\n{cap.Stdout}\n{cap.Stderr}");
            }

            // The cgroup is gone now: what follows reads only the bundle.
            var (code, stdout, stderr) = TestTools.Run(TestTools.Lwpwatch, ["check", "--replay", bundle, "--format", "json"], TimeSpan.FromSeconds(60));
            Assert.True(code is 1 or 2, $"exit {code}\n{stdout}\n{stderr}");
            using var doc = JsonDocument.Parse(stdout);
            var zone = doc.RootElement.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == zoneId);
            Assert.Equal(30, zone.GetProperty("lwps").GetInt64());
            Assert.Equal(30, zone.GetProperty("lwpLimit").GetInt64());
            Assert.Equal(31, zone.GetProperty("denials").GetInt64()); // 60 asked, 29 created
            Assert.Contains(doc.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() == "near-cap" && f.GetProperty("zone").GetString() == zoneId);

            var explain = TestTools.Run(TestTools.Lwpwatch, ["explain", zoneId, "--replay", bundle, "--format", "json"], TimeSpan.FromSeconds(60));
            Assert.True(explain.ExitCode is 1 or 2, $"explain exit {explain.ExitCode}\n{explain.Stdout}\n{explain.Stderr}");
            using var doc2 = JsonDocument.Parse(explain.Stdout);
            var story = Assert.Single(doc2.RootElement.GetProperty("zones").EnumerateArray());
            Assert.Equal(zoneId, story.GetProperty("id").GetString());
            Assert.Equal(2, story.GetProperty("usage").GetArrayLength());
            Assert.Contains(story.GetProperty("topHolders").EnumerateArray(), h => h.GetProperty("lwps").GetInt64() == 30);
            Assert.Contains(story.GetProperty("fix").EnumerateArray(), h => h.GetString()!.EndsWith($"{RealCgroup.PidsRoot}{zoneId}/pids.max", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
