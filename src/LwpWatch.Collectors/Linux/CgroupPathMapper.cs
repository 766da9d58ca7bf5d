using System.Text.RegularExpressions;

namespace LwpWatch.Collectors.Linux;

/// <summary>What a cgroup path says about its owner: a systemd unit, a container, a Kubernetes pod.</summary>
public sealed record CgroupOwner(string Name, string? Unit, string? Container, string? Pod);

/// <summary>Pure mapping of cgroup paths (relative to the hierarchy root) to owners.</summary>
public static partial class CgroupPathMapper
{
    private static readonly string[] UnitSuffixes = [".service", ".scope", ".slice", ".socket", ".mount", ".swap"];

    public static CgroupOwner Map(string relativePath)
    {
        var segments = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            return new CgroupOwner("/", null, null, null);
        }

        string? unit = null, container = null, pod = null;
        foreach (var seg in segments)
        {
            var pm = PodSegment().Match(seg);
            if (pm.Success)
            {
                pod = pm.Groups["uid"].Value.Replace('_', '-');
            }
        }

        var last = segments[^1];
        if (UnitSuffixes.Any(s => last.EndsWith(s, StringComparison.Ordinal)))
        {
            unit = last;
        }

        var cm = ContainerSegment().Match(last);
        if (cm.Success)
        {
            container = cm.Groups["id"].Value;
        }
        else if (segments.Length >= 2 && HexId().IsMatch(last) && segments[^2] is "docker" or "lxc" || (pod is not null && HexId().IsMatch(last)))
        {
            // cgroupfs driver layouts: /docker/<id>, /kubepods/burstable/pod<uid>/<id>
            container = last;
        }

        // What an operator recognises first: the container, then the pod, then the unit.
        var name = container is not null ? Short(container)
            : pod is not null && PodSegment().IsMatch(last.Replace("kubepods-", "", StringComparison.Ordinal).Replace("burstable-", "", StringComparison.Ordinal).Replace("besteffort-", "", StringComparison.Ordinal)) ? $"pod {pod}"
            : unit ?? last;
        return new CgroupOwner(name, unit, container, pod);
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;

    [GeneratedRegex(@"^(?:docker|cri-containerd|crio|libpod|containerd)-(?<id>[0-9a-f]{4,64})\.scope$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerSegment();

    [GeneratedRegex(@"^(?:kubepods(?:-[a-z]+)?-)?pod(?<uid>[0-9a-fA-F_\-]{4,})(?:\.slice)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PodSegment();

    [GeneratedRegex(@"^[0-9a-f]{12,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex HexId();
}
