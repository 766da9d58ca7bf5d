using System.Text.Json;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Output;

public sealed class CheckJsonTests
{
    [Fact]
    public void Shape_is_exactly_the_documented_contract()
    {
        var t = new DateTimeOffset(2026, 11, 22, 1, 2, 3, TimeSpan.Zero);
        var snap = new Snapshot
        {
            TakenAt = t,
            Host = "h",
            Platform = "linux",
            Zones = [new Zone { Id = "/lrtest", Kind = ZoneKind.Cgroup, Name = "lrtest", Lwps = 40, LwpLimit = 40, Denials = 61, CgroupPath = "/sys/fs/cgroup/pids/lrtest" }, new Zone { Id = "/u", Kind = ZoneKind.Cgroup, Name = "u", Lwps = 1 }],
        };
        var outcome = new RuleEngine([new ForkDeniedRule(new ForkDeniedSettings())], TimeSpan.FromMinutes(5)).Evaluate(snap);
        using var doc = JsonDocument.Parse(CheckJson.Write(outcome));
        var root = doc.RootElement;
        Assert.Equal(["status", "zones", "findings"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("critical", root.GetProperty("status").GetString());
        var z = root.GetProperty("zones")[0];
        Assert.Equal(["id", "kind", "name", "lwps", "lwpLimit", "denials"], z.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("zones")[1].GetProperty("lwpLimit").ValueKind);
        var f = root.GetProperty("findings")[0];
        Assert.Equal(["fingerprint", "rule", "zone", "service", "severity", "since", "summary", "evidence", "hints", "incident"], f.EnumerateObject().Select(p => p.Name));
        Assert.Equal("fork-denied|/lrtest", f.GetProperty("fingerprint").GetString());
        // On its own (no root cause in its zone): the head of its own incident, with no symptoms.
        Assert.Equal("""{"role":"head","symptoms":[]}""", f.GetProperty("incident").GetRawText().Replace(" ", "", StringComparison.Ordinal).ReplaceLineEndings(""));
        Assert.Equal("2026-11-22T01:02:03Z", f.GetProperty("since").GetString());
        Assert.Equal(JsonValueKind.Null, f.GetProperty("service").ValueKind);
        Assert.Equal(61, f.GetProperty("evidence").GetProperty("denials").GetInt64());
        Assert.Equal("echo 200 > /sys/fs/cgroup/pids/lrtest/pids.max", f.GetProperty("hints")[0].GetString()); // (40 + 61) x 1.5 -> 200
    }
}
