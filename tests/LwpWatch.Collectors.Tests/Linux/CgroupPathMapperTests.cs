using LwpWatch.Collectors.Linux;

namespace LwpWatch.Collectors.Tests.Linux;

public sealed class CgroupPathMapperTests
{
    private const string Id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("/system.slice/stuck-notify.service", "stuck-notify.service", "stuck-notify.service", null, null)]
    [InlineData("/system.slice/docker-" + Id64 + ".scope", "0123456789ab", "docker-" + Id64 + ".scope", Id64, null)]
    [InlineData("/docker/" + Id64, "0123456789ab", null, Id64, null)]
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12ab_34cd.slice", "pod 12ab-34cd", "kubepods-burstable-pod12ab_34cd.slice", null, "12ab-34cd")]
    [InlineData("/kubepods.slice/kubepods-pod1a2b.slice/cri-containerd-0f3e.scope", "0f3e", "cri-containerd-0f3e.scope", null, "1a2b")]
    [InlineData("/kubepods/burstable/pod5f6e7d8c/abcdef0123456789", "abcdef012345", null, null, "5f6e7d8c")]
    [InlineData("/lrtest", "lrtest", null, null, null)]
    [InlineData("/", "/", null, null, null)]
    public void Maps_paths_to_owners(string path, string name, string? unit, string? container, string? pod)
    {
        var o = CgroupPathMapper.Map(path);
        Assert.Equal((name, unit, container, pod), (o.Name, o.Unit, o.Container, o.Pod));
    }

    [Theory]
    [InlineData("/tenant/system.slice/docker-" + Id64 + ".scope")] // the same names one level down: a tenant's
    [InlineData("/tenant/docker/" + Id64)]
    [InlineData("/system.slice/tenant.service/docker-" + Id64 + ".scope")]
    [InlineData("/docker/" + Id64 + "/nested")]
    [InlineData("/docker/0123456789abcdef0123")] // not a Docker id (64 hex digits)
    [InlineData("/system.slice/docker-0123456789abcdef.scope")]
    [InlineData("/system.slice/docker-" + "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef" + ".scope")]
    [InlineData("/machine.slice/docker-" + Id64 + ".scope")]
    public void Only_dockers_own_cgroup_positions_name_a_container(string path) =>
        Assert.Null(CgroupPathMapper.Map(path).Container);

    [Theory]
    [InlineData("/tenant/a;touch x;.service")]
    [InlineData("/tenant/$(touch x).service")]
    [InlineData("/tenant/a b.service")]
    [InlineData("/tenant/.service")]
    [InlineData("/tenant/x\\xff.service")] // not UTF-8
    public void Names_systemd_could_not_give_a_unit_are_no_unit(string path) =>
        Assert.Null(CgroupPathMapper.Map(path).Unit);

    [Fact]
    public void Escaped_names_are_matched_as_the_bytes_they_stand_for()
    {
        // systemd writes '-' inside a name as \x2d; the zone id escapes that backslash as \x5c.
        var o = CgroupPathMapper.Map("/system.slice/system-systemd\\x5cx2dfsck.slice/systemd-fsck@dev-disk-by\\x5cx2duuid-1234.service");
        Assert.Equal("systemd-fsck@dev-disk-by\\x2duuid-1234.service", o.Unit);
        Assert.Equal("systemd-fsck@dev-disk-by\\x2duuid-1234.service", o.Name);

        var bad = CgroupPathMapper.Map("/tenant/caf\\xe9");
        Assert.Equal("caf\\xe9", bad.Name); // not UTF-8: shown escaped
        Assert.Null(bad.Unit);
    }
}
