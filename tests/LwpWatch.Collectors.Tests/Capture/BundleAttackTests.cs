using System.Collections.Immutable;
using System.Text;
using LwpWatch.Collectors.Capture;
using LwpWatch.Tests.Corpus;
using Xunit;

namespace LwpWatch.Collectors.Tests.Capture;

/// <summary>
/// Issue 13 item 4: every attack of the corpus (tests/corpus/bundle-attacks) against the reader and the replay
/// source, with the kernel's resolution (openat2 RESOLVE_BENEATH) and with the by-hand one used where that is
/// not available: a refusal naming what is wrong, never a read outside the bundle, never a hang.
/// </summary>
public sealed class BundleAttackTests : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("lwpw-test-").FullName;
    private readonly string _secret;
    private readonly string _secretContent;

    public BundleAttackTests() => _secret = BundleAttacks.PlantSecret(_tmp, out _secretContent);

    public void Dispose()
    {
        // rm, not Directory.Delete: the managed API cannot name entries that are not UTF-8.
        using var rm = System.Diagnostics.Process.Start("rm", ["-rf", _tmp]);
        rm.WaitForExit();
    }

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var a in BundleAttacks.All)
        {
            data.Add(a.Name, true);
            data.Add(a.Name, false);
        }

        return data;
    }

    /// <summary>A valid one-poll Linux bundle holding the corpus' target file and cgroup directory.</summary>
    private string BaseBundle()
    {
        var dir = Path.Combine(_tmp, "bundle-" + Guid.NewGuid().ToString("N")[..8]);
        var w = BundleWriter.Create(dir, "linux", "node-1");
        w.WritePoll(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), new PollRecording
        {
            Files = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, byte[]>
            {
                [BundleAttacks.Target] = "0.10 0.20 0.30 2/300 4242\n"u8.ToArray(),
                [BundleAttacks.CgroupDir + "/a/pids.max"] = "10\n"u8.ToArray(),
            }),
            Directories = ImmutableSortedSet.Create(StringComparer.Ordinal, BundleAttacks.CgroupDir, BundleAttacks.CgroupDir + "/a"),
        });
        return dir;
    }

    /// <summary>What a replay of the first poll does: open, read the target, list the cgroups.</summary>
    private static string Replay(string bundle, bool native, out BundleReader? reader)
    {
        reader = null;
        try
        {
            reader = BundleReader.Open(bundle, native);
            var poll = reader.OpenPoll(1);
            var parts = new StringBuilder();
            foreach (var read in new Func<string>[]
            {
                () => poll.ReadText(BundleAttacks.Target) ?? "(none)",
                () => Convert.ToHexString(poll.ReadBytes(BundleAttacks.Target, 64) ?? []),
                () => string.Join(',', poll.ListDirectories(BundleAttacks.CgroupDir)),
                () => poll.FileExists(BundleAttacks.Target).ToString(),
            })
            {
                try
                {
                    parts.Append(read()).Append('|');
                }
                catch (BundleException ex)
                {
                    parts.Append("error: ").Append(ex.Message).Append('|');
                }
            }

            return parts.ToString();
        }
        catch (BundleException ex)
        {
            return "error: " + ex.Message;
        }
    }

    [Fact]
    public void The_base_bundle_replays_cleanly_both_ways()
    {
        var b = BaseBundle();
        foreach (var native in new[] { true, false })
        {
            var got = Replay(b, native, out var reader);
            Assert.Equal("0.10 0.20 0.30 2/300 4242\n|" + Convert.ToHexString("0.10 0.20 0.30 2/300 4242\n"u8) + "|a|True|", got);
            Assert.Null(reader!.Violation);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_attack_is_refused_by_name_and_nothing_outside_is_read(string name, bool native)
    {
        var attack = BundleAttacks.All.Single(a => a.Name == name);
        var b = BaseBundle();
        attack.Apply(b, _secret);

        var task = Task.Run(() => Replay(b, native, out var reader) + (reader?.Violation?.Message ?? ""));
        Assert.True(task.Wait(TimeSpan.FromSeconds(30)), $"{name}: the replay hung");
        var got = task.Result;

        Assert.DoesNotContain(_secretContent, got, StringComparison.Ordinal);
        if (!native && name is "fifo-in-files" or "device-node-in-files" or "bundle.json-is-a-fifo")
        {
            // By hand (platforms without openat2/statx) a FIFO or a device cannot be told from an empty file: it
            // is never opened, so never a hang, and reads as empty (bundle.json: empty is invalid JSON).
            Assert.True(got.StartsWith("|", StringComparison.Ordinal) || got.Contains("invalid JSON", StringComparison.Ordinal), got);
            return;
        }

        Assert.Contains("error: ", got, StringComparison.Ordinal);
        Assert.Contains(attack.Expect, got, StringComparison.Ordinal);
        foreach (var line in got.Split('|'))
        {
            Assert.DoesNotContain('\n', line.Replace("0.10 0.20 0.30 2/300 4242\n", "", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_refused_read_is_kept_by_the_reader_so_the_replay_stops()
    {
        var b = BaseBundle();
        BundleAttacks.All.Single(a => a.Name == "fifo-in-files").Apply(b, _secret);
        var reader = BundleReader.Open(b);

        Assert.Throws<BundleViolationException>(() => reader.OpenPoll(1).ReadText(BundleAttacks.Target));
        Assert.Contains("polls/0001/files/proc/loadavg: is a FIFO, not a regular file", reader.Violation!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_merely_not_recorded_is_no_violation()
    {
        var reader = BundleReader.Open(BaseBundle());
        Assert.Throws<BundleException>(() => reader.OpenPoll(1).ReadText("/proc/42/stat"));
        Assert.Null(reader.Violation);
    }

    [Fact]
    public void Relative_symlinks_that_stay_inside_are_followed_both_ways()
    {
        var b = BaseBundle();
        var target = BundleAttacks.TargetIn(b);
        File.Move(target, Path.Combine(b, "loadavg-elsewhere"));
        File.CreateSymbolicLink(target, "../../../../loadavg-elsewhere");
        foreach (var native in new[] { true, false })
        {
            Assert.StartsWith("0.10 0.20 0.30 2/300 4242\n|", Replay(b, native, out _), StringComparison.Ordinal);
        }
    }
}
