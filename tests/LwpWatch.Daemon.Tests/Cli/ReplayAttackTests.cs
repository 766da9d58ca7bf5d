using System.Diagnostics;
using System.Globalization;
using LwpWatch.Collectors.Capture;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Pipeline;
using LwpWatch.Daemon.Tests.Support;
using LwpWatch.Tests.Corpus;
using Xunit;
using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Cli;

/// <summary>
/// Issue 13 item 4 acceptance, through the real binary: every attack of the bundle corpus
/// (tests/corpus/bundle-attacks) on a real capture of this machine makes `lwpwatch check --replay` print one
/// line, exit 3, never print the planted secret, never hang, and stay within a memory bound measured by the
/// kernel (a cgroup v1 memory controller around the process: memory.max_usage_in_bytes).
/// </summary>
[Trait("Binary", "lwpwatch")]
public sealed class ReplayAttackTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Peak memory allowed for a replay of an attack (the ran out of memory or read 6.3 GB).</summary>
    private const long MaxPeakBytes = 256L * 1024 * 1024;

    private readonly string _tmp = TestTools.NewTempDir("lwpw-linuxh-attack-");
    private readonly string _memcg = Path.Combine("/sys/fs/cgroup/memory", "lwpw-linuxh-replay-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        using (var rm = Process.Start("rm", ["-rf", _tmp]))
        {
            rm.WaitForExit();
        }

        for (var i = 0; i < 100 && Directory.Exists(_memcg); i++)
        {
            try
            {
                Directory.Delete(_memcg);
            }
            catch (IOException)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static readonly Lazy<Task<string>> Base = new(CaptureBaseAsync);

    /// <summary>One real poll of this machine, recorded as `lwpwatch capture` records it (shared by every case).</summary>
    private static async Task<string> CaptureBaseAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lwpw-linuxh-attack-base-" + Guid.NewGuid().ToString("N")[..10]);
        var options = new LwpWatchOptions();
        var recorder = new RecordingHostSource(Program.LiveSource());
        var live = new PollPipeline(options, recorder, TimeProvider.System);
        var result = await live.RunOnceAsync(CancellationToken.None);
        BundleWriter.Create(dir, live.Platform, "attack-base").WritePoll(result.Outcome.Snapshot.TakenAt, recorder.TakeRecording());
        return dir;
    }

    public static TheoryData<string> Attacks()
    {
        var d = new TheoryData<string>();
        foreach (var a in BundleAttacks.All)
        {
            d.Add(a.Name);
        }

        return d;
    }

    [Fact]
    public async Task The_unmodified_capture_replays_with_a_verdict()
    {
        var bundle = Copy(await Base.Value, "clean");
        var (code, stdout, stderr, peak) = Replay(bundle);
        output.WriteLine($"clean: exit {code}, peak {peak / 1024} KiB");
        Assert.True(code is 0 or 1 or 2, $"exit {code}: {stderr}");
        Assert.StartsWith("{", stdout, StringComparison.Ordinal);
        Assert.Contains("\"status\": ", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Every_attack_is_one_line_exit_3_nothing_from_outside_and_bounded_memory(string name)
    {
        var attack = BundleAttacks.All.Single(a => a.Name == name);
        var secret = BundleAttacks.PlantSecret(_tmp, out var content);
        var bundle = Copy(await Base.Value, name);
        attack.Apply(bundle, secret);

        var (code, stdout, stderr, peak) = Replay(bundle);
        output.WriteLine($"{name}: exit {code}, peak {peak / 1024} KiB, stderr: {stderr.TrimEnd()}");

        Assert.Equal(3, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("lwpwatch check: ", line, StringComparison.Ordinal);
        Assert.Contains(attack.Expect, line, StringComparison.Ordinal);
        Assert.DoesNotContain(content, stdout + stderr, StringComparison.Ordinal);
        Assert.True(peak < MaxPeakBytes, $"peak memory {peak} bytes");
    }

    private string Copy(string from, string name)
    {
        var to = Path.Combine(_tmp, name);
        using var cp = Process.Start("cp", ["-a", from, to]);
        cp.WaitForExit();
        Assert.Equal(0, cp.ExitCode);
        return to;
    }

    /// <summary>`lwpwatch check --replay B --format json` inside a fresh memory cgroup; its peak usage as the kernel counted it.</summary>
    private (int Code, string Stdout, string Stderr, long Peak) Replay(string bundle)
    {
        Directory.CreateDirectory(_memcg);
        File.WriteAllText(Path.Combine(_memcg, "memory.limit_in_bytes"), (1024L * 1024 * 1024).ToString(CultureInfo.InvariantCulture));
        File.WriteAllText(Path.Combine(_memcg, "memory.max_usage_in_bytes"), "0");
        var (code, stdout, stderr) = TestTools.Run(
            "/bin/sh",
            ["-c", $"echo $$ > {_memcg}/cgroup.procs && exec \"$0\" \"$@\"", TestTools.Lwpwatch, "check", "--replay", bundle, "--format", "json"],
            TimeSpan.FromSeconds(60));
        var peak = long.Parse(File.ReadAllText(Path.Combine(_memcg, "memory.max_usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);
        return (code, stdout, stderr, peak);
    }
}
