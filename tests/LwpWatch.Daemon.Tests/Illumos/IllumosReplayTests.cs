using System.Buffers.Binary;
using System.Text.Json;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Packaging;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Illumos;

/// <summary>
/// Variants of examples/triton-fs-local-stuck, made by changing only what a node would show differently, replayed
/// through the real binary (`check --replay`): the zone exactly at its cap, and a zone whose XML cap was raised
/// while the kernel kept the old one.
/// </summary>
[Trait("Binary", "lwpwatch")]
public sealed class IllumosReplayTests : IDisposable
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";
    private readonly string _tmp = TestTools.NewTempDir("lwpw-illumos-replay-");

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private string Variant(string name)
    {
        var dir = Path.Combine(_tmp, name);
        Copy(Repo.Path("examples", "triton-fs-local-stuck"), dir);
        return dir;
    }

    private static IEnumerable<string> Polls(string bundle, int from) =>
        Directory.EnumerateDirectories(Path.Combine(bundle, "polls")).Order(StringComparer.Ordinal).Skip(from - 1);

    private static JsonElement Check(string bundle)
    {
        var r = TestTools.Run(TestTools.Lwpwatch, ["check", "--replay", bundle, "--format", "json"], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode is 0 or 1 or 2, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    /// <summary>pr_nlwp is the int32 at offset 4 of psinfo_t (Fixtures/illumos/psinfo-layout.md).</summary>
    private static void SetLwps(string psinfo, int lwps)
    {
        var b = File.ReadAllBytes(psinfo);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), lwps);
        File.WriteAllBytes(psinfo, b);
    }

    [Fact]
    public void The_example_shows_the_zone_as_its_xml_describes_it_and_one_critical_cap_starvation_in_time()
    {
        var bundle = Repo.Path("examples", "triton-fs-local-stuck");
        var json = Check(bundle);
        var zone = json.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == Sick);
        Assert.Equal(("delegate-test-7", 398L, 400L), (zone.GetProperty("name").GetString()!, zone.GetProperty("lwps").GetInt64(), zone.GetProperty("lwpLimit").GetInt64()));
        var cs = json.GetProperty("findings").EnumerateArray().Where(x => x.GetProperty("rule").GetString() == "cap-starvation").ToList();
        var f = Assert.Single(cs);
        Assert.Equal("critical", f.GetProperty("severity").GetString());
        Assert.All(f.GetProperty("hints").EnumerateArray(), h => Assert.Contains(Sick, h.GetString(), StringComparison.Ordinal));

        // The deadline is the one in the zone XML: transition provisioning:running:<ms>.
        var xml = File.ReadAllText(Path.Combine(bundle, "polls", "0008", "files", "etc", "zones", Sick + ".xml"));
        var ms = long.Parse(Regex.Match(xml, "provisioning:running:([0-9]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var since = DateTimeOffset.Parse(f.GetProperty("since").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(DateTimeOffset.FromUnixTimeMilliseconds(ms) - since >= TimeSpan.FromSeconds(200), $"fired at {since:O}");

        foreach (var commands in Directory.EnumerateFiles(Path.Combine(bundle, "polls"), "commands.json", SearchOption.AllDirectories))
        {
            var argv0 = JsonDocument.Parse(File.ReadAllText(commands)).RootElement.EnumerateArray().Select(c => c.GetProperty("argv")[0].GetString()).ToList();
            Assert.DoesNotContain(argv0, a => a is "vmadm" or "prctl");
        }
    }

    [Fact]
    public void A_zone_exactly_at_its_cap_gets_a_first_hint_that_is_not_a_prctl_that_would_fail()
    {
        var bundle = Variant("at-cap");
        foreach (var poll in Polls(bundle, 6))
        {
            // The two zfs mounts hold 366; two more LWPs and the zone holds 400 of 400.
            SetLwps(Path.Combine(poll, "files", "proc", "20990", "psinfo"), 185);
        }

        var json = Check(bundle);
        Assert.Equal(400, json.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == Sick).GetProperty("lwps").GetInt64());
        var f = Assert.Single(json.GetProperty("findings").EnumerateArray(), x => x.GetProperty("rule").GetString() == "cap-starvation");
        var hints = f.GetProperty("hints").EnumerateArray().Select(h => h.GetString()!).ToList();
        Assert.False(hints[0].StartsWith("prctl", StringComparison.Ordinal), string.Join("\n", hints));
        Assert.StartsWith($"vmadm update {Sick} max_lwps=", hints[0], StringComparison.Ordinal);
        Assert.Contains(hints, h => h.StartsWith("prctl -n zone.max-lwps -v ", StringComparison.Ordinal)); // later: once an LWP is free
        var notes = string.Join("\n", f.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains("exactly at its cap (400/400)", notes, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"pid 2099[01] zfs \(18[35] LWPs\)"), notes);
    }

    [Fact]
    public void A_zone_whose_xml_cap_was_raised_while_denials_keep_rising_gets_configured_not_enforced()
    {
        // Poll 5 onwards: vmadm update max_lwps=800 rewrote the XML (new file, new mtime); its live prctl failed at
        // the cap, so the kernel keeps the 400 the zone booted with (nprocs value) and keeps refusing forks.
        var bundle = Variant("raised");
        foreach (var poll in Polls(bundle, 5))
        {
            var xml = Path.Combine(poll, "files", "etc", "zones", Sick + ".xml");
            File.WriteAllText(xml, File.ReadAllText(xml).Replace("limit=\"400\" action=\"deny\"", "limit=\"800\" action=\"deny\"", StringComparison.Ordinal));
            var index = Path.Combine(poll, "files.json");
            File.WriteAllText(index, File.ReadAllText(index).Replace("\"mtime\": \"2025-09-08T09:04:51.0000000Z\"", "\"mtime\": \"2025-09-08T09:07:10.0000000Z\"", StringComparison.Ordinal));
        }

        var json = Check(bundle);
        var zone = json.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == Sick);
        Assert.Equal((398L, 800L), (zone.GetProperty("lwps").GetInt64(), zone.GetProperty("lwpLimit").GetInt64()));
        var f = Assert.Single(json.GetProperty("findings").EnumerateArray(), x => x.GetProperty("rule").GetString() == "configured-not-enforced");
        Assert.Equal("critical", f.GetProperty("severity").GetString());
        Assert.Contains("configured zone.max-lwps is 800 but the kernel still enforces 400", f.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var ev = f.GetProperty("evidence");
        Assert.Equal((800L, 400L), (ev.GetProperty("configuredLimit").GetInt64(), ev.GetProperty("enforcedLimit").GetInt64()));
        var hints = f.GetProperty("hints").EnumerateArray().Select(h => h.GetString()!).ToList();
        Assert.Equal($"prctl -n zone.max-lwps -v 800 -t privileged -r -i zone {Sick}", hints[0]);
        Assert.Contains($"vmadm reboot {Sick}", hints);
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (var d in Directory.EnumerateDirectories(from))
        {
            Copy(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }
}
