using System.Globalization;
using System.Text.Json;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Diagnosis;

/// <summary>
/// Acceptance on examples/triton-fs-local-stuck (the Triton incident as recorded on a SmartOS node), through the
/// real binary: `check --replay` runs every poll on the recorded clock.
/// </summary>
public sealed class TritonReplayTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";
    private const string Healthy = "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e";

    // vmadm list's transition_expire for the sick VM (epoch ms 1757322592000).
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
        Assert.Equal("svc:/system/filesystem/local:default", f.GetProperty("service").GetString());

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
}
