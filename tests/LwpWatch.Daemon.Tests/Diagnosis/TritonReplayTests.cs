using System.Globalization;
using System.Text.Json;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Diagnosis;

/// <summary>
/// Acceptance on examples/triton-fs-local-stuck (the Triton incident as recorded on a SmartOS node), through the
/// real binary: `check --replay` runs every poll on the recorded clock.
/// </summary>
[Trait("Binary", "lwpwatch")]
public sealed class TritonReplayTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";
    private const string Healthy = "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e";

    // The provisioning deadline in the sick VM's /etc/zones XML: transition provisioning:running:1757322592000.
    private static readonly DateTimeOffset Deadline = DateTimeOffset.FromUnixTimeMilliseconds(1757322592000);

    private static string Example
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LwpWatch.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir!.FullName, "examples", "triton-fs-local-stuck");
        }
    }

    private static JsonElement Check(params string[] extra)
    {
        var r = TestTools.Run(TestTools.Lwpwatch, ["check", "--replay", Example, "--format", "json", .. extra], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode is 0 or 1 or 2, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    [Fact]
    public void One_critical_cap_starvation_with_prctl_and_vmadm_fired_at_least_200s_before_vmadm_gives_up()
    {
        var json = Check();
        Assert.Equal("critical", json.GetProperty("status").GetString());
        var findings = json.GetProperty("findings").EnumerateArray().ToList();
        var f = Assert.Single(findings, x => x.GetProperty("rule").GetString() == "cap-starvation");
        Assert.Equal("critical", f.GetProperty("severity").GetString());
        Assert.Equal(Sick, f.GetProperty("zone").GetString());
        Assert.Equal(JsonValueKind.Null, f.GetProperty("service").ValueKind); // the zone's finding, whatever service is stuck first
        Assert.Equal("svc:/system/filesystem/local:default", Assert.Single(f.GetProperty("evidence").GetProperty("stuckServices").EnumerateArray()).GetProperty("service").GetString());

        var hints = f.GetProperty("hints").EnumerateArray().Select(h => h.GetString()!).ToList();
        Assert.Contains(hints, h => h.StartsWith("prctl -n zone.max-lwps -v ", StringComparison.Ordinal) && h.EndsWith(" -t privileged -r -i zone " + Sick, StringComparison.Ordinal));
        Assert.Contains(hints, h => h.StartsWith("vmadm update " + Sick + " max_lwps=", StringComparison.Ordinal));
        var n = f.GetProperty("evidence").GetProperty("suggestedLimit").GetInt64();
        Assert.True(n >= 625, $"N={n}: a delegated dataset needs >= 625 LWPs for zfs mount");

        var summary = f.GetProperty("summary").GetString()!;
        Assert.Contains("delegate-test-7 (" + Sick + ")", summary, StringComparison.Ordinal);
        Assert.Contains("398/400", summary, StringComparison.Ordinal);
        Assert.Contains("1734 thread/process creations refused", summary, StringComparison.Ordinal);
        var holders = f.GetProperty("evidence").GetProperty("topHolders").EnumerateArray().ToList();
        Assert.Equal("zfs", holders[0].GetProperty("command").GetString());
        var notes = string.Join("\n", f.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(x => x.GetString()));
        Assert.Contains("exactly at its cap", notes, StringComparison.Ordinal);
        Assert.Contains("625", notes, StringComparison.Ordinal);

        // `since` is when it first fired, on the recorded clock.
        var since = DateTimeOffset.Parse(f.GetProperty("since").GetString()!, CultureInfo.InvariantCulture);
        Assert.True(Deadline - since >= TimeSpan.FromSeconds(200), $"fired at {since:O}, only {(Deadline - since).TotalSeconds}s before transition_expire");

        // The healthy VM has no finding at all.
        Assert.DoesNotContain(findings, x => x.GetProperty("zone").GetString() == Healthy);
    }

    [Fact]
    public void First_firing_poll_already_has_the_fix_and_the_time_left()
    {
        // Poll 2 is 75 s after creation: the zone is at 172/400 but climbing 160/min with the provision stuck.
        var json = Check("--until", "2");
        var f = Assert.Single(json.GetProperty("findings").EnumerateArray(), x => x.GetProperty("rule").GetString() == "cap-starvation");
        Assert.True(f.GetProperty("evidence").GetProperty("projected").GetBoolean());
        Assert.Equal(225, f.GetProperty("evidence").GetProperty("provision").GetProperty("secondsLeft").GetInt64());
        Assert.Contains("while prctl can still act", f.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains(f.GetProperty("hints").EnumerateArray(), h => h.GetString() == $"vmadm update {Sick} max_lwps=625");

        // Poll 1: one sample, no trend yet, provision only 43 s old: nothing is blamed on the cap.
        Assert.DoesNotContain(Check("--until", "1").GetProperty("findings").EnumerateArray(), x => x.GetProperty("rule").GetString() == "cap-starvation");
    }

    [Fact]
    public void Explain_tells_the_whole_story_of_the_zone()
    {
        var r = TestTools.Run(TestTools.Lwpwatch, ["explain", "delegate-test-7", "--replay", Example], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        var text = r.Stdout;
        Assert.StartsWith($"Zone {Sick} (illumos-zone) delegate-test-7", text, StringComparison.Ordinal);
        Assert.Contains("cap:     400   usage: 398 (99.5%)", text, StringComparison.Ordinal);
        Assert.Contains("denials: 1734 since the zone/cgroup started, +1734 over these 8 polls", text, StringComparison.Ordinal);
        Assert.Contains("2025-09-08T09:06:07Z     172 / 400      denials 0", text, StringComparison.Ordinal);
        Assert.Contains("LWPs  zfs: /usr/sbin/zfs mount", text, StringComparison.Ordinal);
        Assert.Contains("svc:/system/filesystem/local:default  offline->online  for 4m15s", text, StringComparison.Ordinal);
        Assert.Contains("verdict: thread-cap:", text, StringComparison.Ordinal);
        Assert.Contains($"  prctl -n zone.max-lwps -v 1800 -t privileged -r -i zone {Sick}\n", text, StringComparison.Ordinal);
        Assert.Contains($"  vmadm update {Sick} max_lwps=1800\n", text, StringComparison.Ordinal);
        Assert.Contains("cannot act on a zone exactly at its cap", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_by_fmri_early_and_as_json()
    {
        var r = TestTools.Run(TestTools.Lwpwatch, ["explain", "svc:/system/filesystem/local", "--replay", Example, "--until", "2", "--format", "json"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        var zone = Assert.Single(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("zones").EnumerateArray()); // only the zone where it is stuck
        Assert.Equal(Sick, zone.GetProperty("id").GetString());
        var svc = Assert.Single(zone.GetProperty("servicesInTransition").EnumerateArray());
        Assert.Equal("thread-cap", svc.GetProperty("verdict").GetString());
        Assert.Contains(zone.GetProperty("fix").EnumerateArray(), h => h.GetString() == $"vmadm update {Sick} max_lwps=625");

        var healthy = TestTools.Run(TestTools.Lwpwatch, ["explain", "web-frontend-1", "--replay", Example], TimeSpan.FromSeconds(60));
        Assert.Equal(0, healthy.ExitCode);
        Assert.Contains("Findings:\n  none", healthy.Stdout, StringComparison.Ordinal);

        var missing = TestTools.Run(TestTools.Lwpwatch, ["explain", "no-such-thing", "--replay", Example], TimeSpan.FromSeconds(60));
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("no zone, unit or FMRI named 'no-such-thing' (3 zones,", missing.Stderr, StringComparison.Ordinal);
    }
}
