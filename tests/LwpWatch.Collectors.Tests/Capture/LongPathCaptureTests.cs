using System.Text;
using System.Text.Json;
using LwpWatch.Collectors.Capture;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Process;
using LwpWatch.Collectors.Tests.Support;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Capture;

/// <summary>
/// A capture of a host where one tenant has a cgroup tree too long to copy below the bundle directory (17 nested
/// 255-byte names: the copy's path passes PATH_MAX; a 255-byte name of bytes that are not UTF-8: its escaped form,
/// 1,020 characters, passes NAME_MAX). Found when ReplayAttackTests' live capture ran beside HostileCgroupTreeTests
/// on this shared host: every `lwpwatch capture` failed ("path is too long") while such a tree existed. Now the
/// writer leaves those paths out (named in poll.json), writes the rest, and the replay of the poll reports every
/// other zone with the collector succeeding. On this machine's real cgroup v1 pids hierarchy.
/// </summary>
public sealed class LongPathCaptureTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 5, TimeSpan.Zero);
    private readonly RawCgroupTree tree = new("lwpw-linuxh-longcap");
    private readonly string bundle = Path.Combine(Path.GetTempPath(), "lwpw-linuxh-longcap-bundle-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        tree.Dispose();
        if (Directory.Exists(bundle))
        {
            Directory.Delete(bundle, recursive: true);
        }
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Long(int level) => B(((char)('a' + (level % 26))).ToString() + new string('x', 254));

    [Fact]
    public async Task A_tree_too_long_for_the_bundle_is_left_out_by_name_and_the_rest_replays()
    {
        var peer = tree.MakeChain([], [B("peer")]);
        tree.Write(peer, "pids.max", "50");
        var chain = tree.MakeChain([], [B("long17"), .. Enumerable.Range(0, 17).Select(Long)]);
        var wide = tree.MakeChain([], [Enumerable.Repeat((byte)0xff, 255).ToArray()]);
        tree.MakeChain(wide, [B("child")]);

        var settings = new LinuxSettings { CgroupRoot = tree.View, ProcRoot = "/proc" };
        var draft = new SnapshotDraft { TakenAt = T0, Host = "h", Platform = "linux" };
        var recorder = new RecordingHostSource(new LiveHostSource(new CommandRunner()));
        var live = await new CgroupPidsCollector(recorder, settings).CollectAsync(draft, CancellationToken.None);
        var liveIds = live.Zones.Select(z => z.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(RawCgroupTree.ZoneId(chain), liveIds);
        Assert.Contains(RawCgroupTree.ZoneId(wide), liveIds);

        var writer = BundleWriter.Create(bundle, "linux", "h");
        writer.WritePoll(T0, recorder.TakeRecording());

        Assert.True(writer.LastUnstored > 0);
        Assert.Contains(writer.Unstored, u => u.EndsWith(RawCgroupTree.ZoneId(wide), StringComparison.Ordinal));
        using (var poll = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(bundle, "polls", "0001", "poll.json"))))
        {
            Assert.Equal(writer.LastUnstored, poll.RootElement.GetProperty("unstoredCount").GetInt32());
            Assert.Equal(writer.Unstored.Take(BundleWriter.MaxUnstoredListed), poll.RootElement.GetProperty("unstored").EnumerateArray().Select(e => e.GetString()!));
        }

        // Every stored directory holds the files recorded in it: no stored cgroup without its pids.max.
        var files = Path.Combine(bundle, "polls", "0001", "files");
        foreach (var dir in Directory.EnumerateDirectories(files, "*", SearchOption.AllDirectories).Where(d => Directory.EnumerateFiles(d, "pids.*").Any()))
        {
            Assert.True(File.Exists(Path.Combine(dir, "pids.max")), dir);
        }

        var replay = BundleReader.Open(bundle).OpenPoll(1);
        var replayed = await new CgroupPidsCollector(replay, settings).CollectAsync(draft, CancellationToken.None);
        var zones = replayed.Zones.ToDictionary(z => z.Id, StringComparer.Ordinal);
        Assert.Equal(50, zones[RawCgroupTree.ZoneId(peer)].LwpLimit);
        Assert.DoesNotContain(RawCgroupTree.ZoneId(wide), zones.Keys);

        // The chain is there down to the last level whose copy fits, and every zone replayed is one the live poll had.
        Assert.Contains(RawCgroupTree.ZoneId(chain[..10]), zones.Keys);
        Assert.DoesNotContain(RawCgroupTree.ZoneId(chain), zones.Keys);
        Assert.All(zones.Keys, id => Assert.Contains(id, liveIds));
    }
}
