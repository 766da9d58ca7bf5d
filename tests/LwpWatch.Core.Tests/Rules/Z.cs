using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>Tiny builders for hand-made snapshots.</summary>
internal static class Z
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    public static Zone Cg(string id, long? lwps, long? limit, long? denials = 0, string? unit = null) => new()
    {
        Id = id,
        Kind = ZoneKind.Cgroup,
        Name = unit ?? id.TrimStart('/'),
        Lwps = lwps,
        LwpLimit = limit,
        Denials = denials,
        Unit = unit,
        CgroupPath = "/sys/fs/cgroup/pids" + id,
    };

    public static Snapshot Snap(double seconds, params Zone[] zones) => new()
    {
        TakenAt = T0.AddSeconds(seconds),
        Host = "node1",
        Platform = "linux",
        Zones = [.. zones],
    };
}
