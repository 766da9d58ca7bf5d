using System.Globalization;
using LwpWatch.Daemon.Tests.Delivery;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Hardening.Security;

/// <summary>
/// Everything LwpWatch writes is 0750 (directories) / 0640 (files) whatever the umask it runs under (issue 13,
/// item 7): the real daemon and the real `capture`, started by sh under umask 000 (the worst case: plain creation
/// would give 0777/0666) and 077 (which must not take the group's read away).
/// </summary>
[Trait("Category", "Hardening")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Trait("Binary", "lwpwatch")]
public sealed class FileModeTests : IDisposable
{
    private const UnixFileMode Dir = (UnixFileMode)0b111_101_000; // 0750
    private const UnixFileMode File640 = (UnixFileMode)0b110_100_000; // 0640
    private readonly string _tmp = TestTools.NewTempDir("lwpw-modes-");

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    [Theory]
    [InlineData("000")]
    [InlineData("077")]
    public void A_capture_bundle_is_0750_and_0640_under_any_umask(string umask)
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        // Our own cgroups only: the host's are other tests' (some hostile by design).
        using var zones = new CgroupZones(2);
        var config = Path.Combine(_tmp, "lwpwatch.yaml");
        File.WriteAllText(config, zones.DaemonConfig(Path.Combine(_tmp, "state")));
        var bundle = Path.Combine(_tmp, "new", "bundle");
        var (code, _, stderr) = TestTools.Run("/bin/sh", ["-c", $"umask {umask} && exec \"$0\" \"$@\"", TestTools.Lwpwatch, "capture", "--config", config, "--out", bundle, "--polls", "1"], TimeSpan.FromSeconds(120));
        Assert.True(code == 0, stderr);
        // The parent it had to create too.
        Assert.Equal(Dir, Mode(Path.Combine(_tmp, "new")));
        AssertTree(bundle, minFiles: 10);
    }

    [Fact]
    public async Task The_state_dir_evidence_and_outbox_with_its_wal_and_shm_are_0750_and_0640_under_umask_000()
    {
        Assert.True(CgroupZones.Available, "this test needs the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (root)");
        using var zones = new CgroupZones(2);
        await using var rx = new TestReceiver();
        await rx.StartAsync();
        // Not there yet: the daemon creates it (and its parent).
        var state = Path.Combine(_tmp, "var", "lib", "lwpwatch");
        var config = zones.DaemonConfig(state) + string.Create(CultureInfo.InvariantCulture, $"""
            receivers:
              - name: hook
                type: webhook
                url: {rx.Url}
            """);
        using (var d = new DaemonProcess([], config, wrapper: ["/bin/sh", "-c", "umask 000 && exec \"$0\" \"$@\""]))
        {
            await rx.WaitForAsync(r => r.Accepted.Count >= 2, TimeSpan.FromSeconds(60), "both alerts delivered (outbox used)");
            var evidence = Path.Combine(state, "evidence");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(Directory.Exists(evidence) && Directory.EnumerateFiles(evidence, "*.json").Count() >= 2) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            // While it runs: the WAL and the shared-memory index exist now, created by SQLite.
            var db = Path.Combine(state, "outbox.db");
            foreach (var f in new[] { db, db + "-wal", db + "-shm" })
            {
                Assert.True(File.Exists(f), f + " missing\n" + d.Output);
                Assert.Equal(File640, Mode(f));
            }

            Assert.True(Directory.EnumerateFiles(evidence, "*.json").Count() >= 2, "no evidence bundles\n" + d.Output);
        }

        Assert.Equal(Dir, Mode(Path.Combine(_tmp, "var")));
        AssertTree(state, minFiles: 3);
    }

    private static UnixFileMode Mode(string path) => File.GetUnixFileMode(path) & (UnixFileMode)0b111_111_111_111;

    private static void AssertTree(string root, int minFiles)
    {
        Assert.Equal(Dir, Mode(root));
        var dirs = Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).ToList();
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToList();
        Assert.True(files.Count >= minFiles, $"{files.Count} files under {root}");
        Assert.All(dirs, d => Assert.True(Mode(d) == Dir, $"{d}: {Convert.ToString((int)Mode(d), 8)}"));
        Assert.All(files, f => Assert.True(Mode(f) == File640, $"{f}: {Convert.ToString((int)Mode(f), 8)}"));
    }
}
