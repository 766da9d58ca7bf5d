using System.Collections.Immutable;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

/// <summary>Hand-built snapshots for rule tests: a fixed epoch plus seconds.</summary>
internal static class Snap
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    public const string Uuid = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";

    public static Snapshot At(double seconds, IEnumerable<Zone>? zones = null, IEnumerable<ServiceState>? services = null,
        IEnumerable<ThreadHolder>? holders = null, IEnumerable<Provision>? provisions = null, HostLimits? host = null, string platform = "linux") => new()
    {
        TakenAt = T0.AddSeconds(seconds),
        Host = "node1",
        Platform = platform,
        Zones = [.. zones ?? []],
        Services = [.. services ?? []],
        TopHolders = [.. holders ?? []],
        Provisions = [.. provisions ?? []],
        HostLimits = host,
    };

    public static Zone Cgroup(string id, long used, long? cap, long denials = 0, ZonePressure? pressure = null)
    {
        var last = id[(id.LastIndexOf('/') + 1)..];
        return new Zone
        {
            Id = id,
            Kind = ZoneKind.Cgroup,
            Name = last,
            Lwps = used,
            LwpLimit = cap,
            Denials = denials,
            Unit = last.EndsWith(".service", StringComparison.Ordinal) ? last : null,
            CgroupPath = "/sys/fs/cgroup/pids" + id,
            Pressure = pressure,
        };
    }

    public static Zone Illumos(string uuid, string alias, long used, long cap, long denials, ZonePressure? pressure = null) => new()
    {
        Id = uuid,
        Kind = ZoneKind.IllumosZone,
        Name = alias,
        Lwps = used,
        LwpLimit = cap,
        Denials = denials,
        ZonePath = "/zones/" + uuid,
        Pressure = pressure,
    };

    public static ServiceState Unit(string zoneId, string name, string state = "activating", string sub = "start", long? tasks = null, long? limit = null, DateTimeOffset? since = null, ImmutableArray<string> deps = default) => new()
    {
        ZoneId = zoneId,
        Name = name,
        State = state,
        NextState = sub,
        InTransition = state is "activating" or "deactivating" or "reloading",
        StateSince = since,
        Tasks = tasks,
        TasksLimit = limit,
        Dependencies = deps.IsDefault ? [] : deps,
        // What the systemd collector reports for a unit in transition (it asks the manager, Properties.GetAll).
        ControlGroup = state is "activating" or "deactivating" or "reloading" ? zoneId : null,
    };

    /// <summary>Feeds snapshots through an engine-like history (all of them kept) and returns the last poll's findings.</summary>
    public static List<Finding> Run(IRule rule, params Snapshot[] polls)
    {
        List<Finding> last = [];
        for (var i = 0; i < polls.Length; i++)
        {
            var ctx = RuleContext.Over(polls[..(i + 1)]);
            last = [.. rule.Evaluate(ctx)];
        }

        return last;
    }
}
