using System.Text;
using System.Text.Json;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class HintJsonTests
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    [Fact]
    public void A_hint_round_trips_and_stores_its_rendering()
    {
        var zone = Z.Cg("/t/a;touch x;.service", 10, 10) with { CgroupPath = "/sys/fs/cgroup/pids/t/a;touch x;.service\\xff", Unit = "a;touch x;.service" };
        var owner = new ServiceState { ZoneId = zone.Id, Name = zone.Unit!, State = "active", ControlGroup = zone.Id };
        foreach (var h in Remediation.RaiseCapCommands(RuleIds.NearCap, zone, 20, Z.Snap(0, zone) with { Services = [owner] }))
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                HintJson.Write(w, h);
            }

            using var doc = JsonDocument.Parse(ms.ToArray());
            Assert.Equal(h.Render(), doc.RootElement.GetProperty("command").GetString());
            var back = HintJson.Read(doc.RootElement);
            Assert.Equal(h, back);
            Assert.Equal(h.Render(), back.Render());
        }
    }

    [Fact]
    public void A_stored_literal_that_needs_quoting_is_refused()
    {
        using var doc = JsonDocument.Parse("""{"rule":"near-cap","zone":"/a","effect":"live","argv":[{"literal":"echo"},{"literal":"1;touch x"}]}""");
        Assert.Throws<JsonException>(() => HintJson.Read(doc.RootElement));
    }

    [Fact]
    public void Alert_state_from_before_typed_hints_still_loads_without_its_unquoted_hints()
    {
        // What 5e340ac stored: hints as rendered, unquoted strings.
        const string legacy = """{"fingerprint":"near-cap|/a","rule":"near-cap","zoneId":"/a","severity":"warning","state":"firing","startsAt":"2026-11-22T01:00:00+00:00","lastSeenAt":"2026-11-22T01:00:00+00:00","summary":"s","hints":["echo 150 > /sys/fs/cgroup/pids/a;touch x;b/pids.max"]}""";
        var o = new JsonSerializerOptions(Options) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };
        var a = JsonSerializer.Deserialize<Alert>(legacy, o)!;
        Assert.Equal("near-cap|/a", a.Fingerprint);
        Assert.Empty(a.Hints);

        var typed = a with { Hints = [Hint.WriteFile(RuleIds.NearCap, "/a", HintEffect.Live, ShellWord.CgroupPath("/sys/fs/cgroup/pids/a;touch x;b/pids.max"), ShellWord.Number(150))] };
        var json = JsonSerializer.Serialize(typed, o);
        Assert.Contains("\"command\":\"echo 150 \\u003E \\u0027/sys/fs/cgroup/pids/a;touch x;b/pids.max\\u0027\"", json, StringComparison.Ordinal);
        Assert.Equal(typed.Hints.ToArray(), JsonSerializer.Deserialize<Alert>(json, o)!.Hints.ToArray());
    }
}
