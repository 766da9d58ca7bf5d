using LwpWatch.Collectors.Linux;

namespace LwpWatch.Collectors.Tests.Linux;

public sealed class CgroupPathMapperTests
{
    [Theory]
    [InlineData("/system.slice/stuck-notify.service", "stuck-notify.service", "stuck-notify.service", null, null)]
    [InlineData("/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope", "0123456789ab", "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", null)]
    [InlineData("/docker/0123456789abcdef0123", "0123456789ab", null, "0123456789abcdef0123", null)]
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12ab_34cd.slice", "pod 12ab-34cd", "kubepods-burstable-pod12ab_34cd.slice", null, "12ab-34cd")]
    [InlineData("/kubepods.slice/kubepods-pod1a2b.slice/cri-containerd-0f3e.scope", "0f3e", "cri-containerd-0f3e.scope", "0f3e", "1a2b")]
    [InlineData("/kubepods/burstable/pod5f6e7d8c/abcdef0123456789", "abcdef012345", null, "abcdef0123456789", "5f6e7d8c")]
    [InlineData("/lrtest", "lrtest", null, null, null)]
    [InlineData("/", "/", null, null, null)]
    public void Maps_paths_to_owners(string path, string name, string? unit, string? container, string? pod)
    {
        var o = CgroupPathMapper.Map(path);
        Assert.Equal((name, unit, container, pod), (o.Name, o.Unit, o.Container, o.Pod));
    }
}
