using System.Text.Json;
using LwpWatch.Daemon.Tests.Integration;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Hardening.Security;

/// <summary>
/// docs/SECURITY.md says LwpWatch needs no root and no capability on Linux, and the systemd unit runs it as a
/// plain user with an empty capability set. This runs the real executable as nobody (uid 65534, no groups, no
/// capabilities, empty bounding set) over a real capped cgroup that is refusing threads: caps, usage, denials
/// and the thread holders must all still be seen.
/// </summary>
[Trait("Category", "Hardening")]
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed class UnprivilegedTests
{
    private static readonly string[] AsNobody =
        ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--", "env", "HOME=/tmp"];

    [Fact]
    public void Nobody_without_capabilities_sees_caps_denials_and_holders()
    {
        Assert.True(RealCgroup.Available, "this test needs root (to create the cgroup) and /sys/fs/cgroup/pids");
        Assert.True(File.Exists("/usr/bin/setpriv"), "setpriv (util-linux) is needed to drop to nobody");
        using var cg = new RealCgroup(max: 12);
        Assert.StartsWith("threads_created=11", cg.StartThreads(30), StringComparison.Ordinal);

        var (code, stdout, stderr) = TestTools.Run("/usr/bin/setpriv", [.. AsNobody, TestTools.Lwpwatch, "check", "--format", "json"], TimeSpan.FromSeconds(60));
        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var zone = doc.RootElement.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == cg.ZoneId);
        Assert.Equal(12, zone.GetProperty("lwps").GetInt64());
        Assert.Equal(12, zone.GetProperty("lwpLimit").GetInt64());
        Assert.Equal(19, zone.GetProperty("denials").GetInt64()); // 30 asked, 11 created
        Assert.Contains(doc.RootElement.GetProperty("findings").EnumerateArray(),
            f => f.GetProperty("rule").GetString() == "fork-denied" && f.GetProperty("zone").GetString() == cg.ZoneId);

        // Holders come from /proc/<pid>/{stat,cmdline} of a root-owned process: world-readable, so nobody sees them.
        var (_, explain, explainErr) = TestTools.Run("/usr/bin/setpriv", [.. AsNobody, TestTools.Lwpwatch, "explain", cg.ZoneId], TimeSpan.FromSeconds(60));
        var holders = explain[explain.IndexOf("Top thread holders:", StringComparison.Ordinal)..];
        Assert.DoesNotContain("not collected", holders[..holders.IndexOf("Services", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(TestTools.Spawn), holders, StringComparison.Ordinal);
        Assert.True(explainErr.Length == 0 || !explainErr.Contains("denied", StringComparison.OrdinalIgnoreCase), explainErr);
    }
}
