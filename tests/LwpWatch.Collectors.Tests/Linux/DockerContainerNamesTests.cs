using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Tests.Io;
using LwpWatch.Collectors.Tests.Support;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using Xunit;

namespace LwpWatch.Collectors.Tests.Linux;

/// <summary>Docker container names for capped Docker zones (issue 14's Docker scenario). Sample and sources: Fixtures/linux/docker/SOURCE.md.</summary>
public sealed class DockerContainerNamesTests : IDisposable
{
    private const string Id = "3f4c8a2be71d90c65a1f2e8b7d4c36a9e05b1f7d2c8a4e6b9d0f13a5c7e2b8d4";
    private static readonly SnapshotDraft Draft = new() { TakenAt = DateTimeOffset.UnixEpoch, Host = "h", Platform = "linux" };
    private readonly TempTree tree = new();

    public DockerContainerNamesTests()
    {
        tree.File("cg/cgroup.controllers", "pids\n");
        var config = Path.Combine(tree.Dir($"docker/containers/{Id}"), "config.v2.json");
        File.Copy(FixturePaths.Of("linux", "docker", "containers", Id, "config.v2.json"), config);
    }

    private string ConfigPath => Path.Combine(tree.Root, "docker", "containers", Id, "config.v2.json");

    public void Dispose() => tree.Dispose();

    private void Cgroup(string rel, string max)
    {
        tree.File($"cg/{rel}/pids.max", max + "\n");
        tree.File($"cg/{rel}/pids.current", "50\n");
        tree.File($"cg/{rel}/pids.events", "max 0\n");
    }

    private (CgroupPidsCollector Collector, InterceptingHostSource Io) Collector()
    {
        var io = new InterceptingHostSource();
        return (new CgroupPidsCollector(io, new LinuxSettings { CgroupRoot = tree.Root + "/cg", ProcRoot = tree.Root + "/proc", DockerRoot = tree.Root + "/docker" }), io);
    }

    private static async Task<(Dictionary<string, Zone> Zones, IReadOnlyList<string> Warnings)> Poll(CgroupPidsCollector c)
    {
        var r = await c.CollectAsync(Draft, CancellationToken.None);
        return (r.Zones.ToDictionary(z => z.Id), r.Warnings);
    }

    [Theory]
    [InlineData("system.slice/docker-" + Id + ".scope")] // systemd cgroup driver
    [InlineData("docker/" + Id)]                           // cgroupfs cgroup driver
    public async Task A_capped_docker_container_is_named_as_docker_names_it(string rel)
    {
        Cgroup(rel, "50");
        var (zones, warnings) = await Poll(Collector().Collector);

        var z = zones["/" + rel];
        Assert.Equal("spawn-50", z.Name);
        Assert.Equal(Id, z.Container); // what `docker update --pids-limit N <id>` needs
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task An_unlimited_container_is_named_by_its_id_and_its_file_is_not_read()
    {
        Cgroup("system.slice/docker-" + Id + ".scope", "max");
        var (collector, io) = Collector();
        var (zones, _) = await Poll(collector);

        Assert.Equal(Id[..12], zones["/system.slice/docker-" + Id + ".scope"].Name);
        Assert.DoesNotContain(io.Reads, r => r.EndsWith("config.v2.json", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("tenant/system.slice/docker-" + Id + ".scope")]
    [InlineData("system.slice/tenant.service/docker-" + Id + ".scope")]
    [InlineData("tenant/docker/" + Id)]
    public async Task A_look_alike_inside_a_tenants_subtree_is_no_container_and_reads_nothing_of_dockers(string rel)
    {
        Cgroup(rel, "50");
        var (collector, io) = Collector();
        var (zones, warnings) = await Poll(collector);

        Assert.Null(zones["/" + rel].Container);
        Assert.DoesNotContain(io.Reads, r => r.Contains("/docker/containers/", StringComparison.Ordinal));
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task The_file_is_read_once_while_unchanged_and_again_after_a_rename()
    {
        Cgroup("system.slice/docker-" + Id + ".scope", "50");
        var (collector, io) = Collector();
        await Poll(collector);
        await Poll(collector);
        Assert.Single(io.Reads, r => r.EndsWith("config.v2.json", StringComparison.Ordinal));

        // docker rename rewrites the file (atomically, so a new mtime).
        File.WriteAllText(ConfigPath, File.ReadAllText(ConfigPath).Replace("\"Name\":\"/spawn-50\"", "\"Name\":\"/renamed\"", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(ConfigPath, DateTime.UtcNow.AddMinutes(1));
        var (zones, _) = await Poll(collector);
        Assert.Equal("renamed", zones["/system.slice/docker-" + Id + ".scope"].Name);
    }

    [Theory]
    [InlineData(null, "missing, or not readable by this user")]
    [InlineData("{\"ID\":\"x\"", "not valid JSON")]
    [InlineData("{\"ID\":\"x\"}", "no \"Name\" string in it")]
    [InlineData("[\"Name\"]", "no \"Name\" string in it")]
    public async Task An_unreadable_record_is_one_warning_and_the_zone_keeps_its_id(string? content, string problem)
    {
        if (content is null)
        {
            File.Delete(ConfigPath);
        }
        else
        {
            File.WriteAllText(ConfigPath, content);
        }

        Cgroup("system.slice/docker-" + Id + ".scope", "50");
        var (collector, _) = Collector();
        var (zones, warnings) = await Poll(collector);

        Assert.Equal(Id[..12], zones["/system.slice/docker-" + Id + ".scope"].Name);
        var w = Assert.Single(warnings);
        Assert.StartsWith($"cgroup-pids: docker container {Id[..12]}: its name is unknown ({ConfigPath}: {problem}", w, StringComparison.Ordinal);

        var (_, again) = await Poll(collector);
        Assert.Empty(again); // said once, not every poll
    }

    [Fact]
    public async Task A_record_larger_than_the_bound_is_not_parsed()
    {
        File.WriteAllText(ConfigPath, "{\"Name\":\"/big\",\"pad\":\"" + new string('x', DockerContainerNames.MaxBytes) + "\"}");
        Cgroup("docker/" + Id, "50");
        var (zones, warnings) = await Poll(Collector().Collector);

        Assert.Equal(Id[..12], zones["/docker/" + Id].Name);
        Assert.Contains($"larger than {DockerContainerNames.MaxBytes} bytes", Assert.Single(warnings), StringComparison.Ordinal);
    }
}
