using System.Text.RegularExpressions;
using LwpWatch.Core.Model;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// What a cgroup path says about its owner: a systemd unit, a Docker container, a Kubernetes pod.
/// <see cref="Container"/> is set only for a path that really is Docker's cgroup for that container (it feeds a
/// <c>docker update</c> hint), never for a look-alike name a tenant made inside its own subtree.
/// </summary>
public sealed record CgroupOwner(string Name, string? Unit, string? Container, string? Pod);

/// <summary>
/// Pure mapping of cgroup paths (relative to the hierarchy root, escaped as <see cref="CgroupName"/> writes them)
/// to owners. Each name is matched as the bytes it stands for; a name that is not UTF-8 is no unit, pod or
/// container.
/// </summary>
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

        var names = new string?[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            names[i] = Decode(segments[i]);
        }

        string? unit = null, container = null, pod = null, runtimeId = null;
        foreach (var seg in names)
        {
            if (seg is not null && PodSegment().Match(seg) is { Success: true } pm)
            {
                pod = pm.Groups["uid"].Value.Replace('_', '-');
            }
        }

        var last = names[^1];
        if (last is not null && IsUnitName(last))
        {
            unit = last;
        }

        container = DockerContainer(names);
        if (container is null && last is not null)
        {
            // Other runtimes (and Docker under Kubernetes): shown by id, but no docker hint for them.
            var rm = RuntimeSegment().Match(last);
            runtimeId = rm.Success ? rm.Groups["id"].Value : pod is not null && HexId().IsMatch(last) ? last : null;
        }

        // What an operator recognises first: the container, then the pod, then the unit.
        var name = container is not null ? Short(container)
            : runtimeId is not null ? Short(runtimeId)
            : pod is not null && last is not null && PodSegment().IsMatch(last.Replace("kubepods-", "", StringComparison.Ordinal).Replace("burstable-", "", StringComparison.Ordinal).Replace("besteffort-", "", StringComparison.Ordinal)) ? $"pod {pod}"
            : unit ?? last ?? segments[^1];
        return new CgroupOwner(name, unit, container, pod);
    }

    /// <summary>
    /// The container id when the path is where Docker itself puts a container's cgroup (moby/moby
    /// cmd/dockerd/daemon_systemd_unix.go newCgroupParent at 19f8fa760b155102f8dcbba5b4ab159585465ae6): the systemd
    /// driver's <c>system.slice:docker:&lt;id&gt;</c>, which runc makes the unit <c>docker-&lt;id&gt;.scope</c> in
    /// system.slice, or the cgroupfs driver's <c>/docker/&lt;id&gt;</c>; ids are 64 lower-case hex digits. Exactly
    /// at that position below the hierarchy root: the same names deeper down are a tenant's, and a hint naming
    /// the container id would act on someone else's container.
    /// </summary>
    private static string? DockerContainer(string?[] names)
    {
        if (names.Length != 2 || names[0] is null || names[1] is null)
        {
            return null;
        }

        if (names[0] == "system.slice" && DockerScope().Match(names[1]!) is { Success: true } m)
        {
            return m.Groups["id"].Value;
        }

        return names[0] == "docker" && DockerId().IsMatch(names[1]!) ? names[1] : null;
    }

    /// <summary>
    /// A name systemd could give a unit: its own characters only (systemd src/basic/unit-name.c at 0133d5553a1b, unit_name_is_valid: VALID_CHARS
    /// digits, letters, ":-_.\" and '@' for instances; at most 255 bytes) and a unit type suffix. A tenant's
    /// <c>a;touch x;.service</c> is not one.
    /// </summary>
    private static bool IsUnitName(string name) =>
        name.Length <= 255 && UnitSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal) && name.Length > s.Length) && UnitChars().IsMatch(name);

    /// <summary>The name the escaped segment stands for, or null when its bytes are not UTF-8.</summary>
    private static string? Decode(string segment)
    {
        if (!segment.Contains('\\', StringComparison.Ordinal))
        {
            return segment;
        }

        var raw = CgroupName.Unescape(segment);
        return CgroupName.IsValidUtf8(raw) ? System.Text.Encoding.UTF8.GetString(raw) : null;
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;

    [GeneratedRegex(@"^docker-(?<id>[0-9a-f]{64})\.scope$", RegexOptions.CultureInvariant)]
    private static partial Regex DockerScope();

    [GeneratedRegex(@"^[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex DockerId();

    [GeneratedRegex(@"^(?:docker|cri-containerd|crio|libpod|containerd)-(?<id>[0-9a-f]{4,64})\.scope$", RegexOptions.CultureInvariant)]
    private static partial Regex RuntimeSegment();

    [GeneratedRegex(@"^(?:kubepods(?:-[a-z]+)?-)?pod(?<uid>[0-9a-fA-F_\-]{4,})(?:\.slice)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PodSegment();

    [GeneratedRegex(@"^[0-9a-f]{12,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex HexId();

    [GeneratedRegex(@"^[A-Za-z0-9:_.\\@-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex UnitChars();
}
