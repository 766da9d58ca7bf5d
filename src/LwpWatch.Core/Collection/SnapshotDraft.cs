using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Collection;

/// <summary>
/// The poll under construction: immutable; <see cref="With"/> returns a new draft. Collectors see the
/// draft as it stands when they run.
/// </summary>
public sealed record SnapshotDraft
{
    public required DateTimeOffset TakenAt { get; init; }

    public required string Host { get; init; }

    /// <summary>See <see cref="Snapshot.Monotonic"/>.</summary>
    public TimeSpan? Monotonic { get; init; }

    public required string Platform { get; init; }

    public ImmutableDictionary<string, Zone> Zones { get; init; } = ImmutableDictionary<string, Zone>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Insertion order of zone ids, so output order is stable and meaningful (collector order).</summary>
    public ImmutableList<string> ZoneOrder { get; init; } = [];

    public ImmutableList<ServiceState> Services { get; init; } = [];

    public ImmutableList<ThreadHolder> Holders { get; init; } = [];

    public ImmutableList<Provision> Provisions { get; init; } = [];

    public HostLimits? HostLimits { get; init; }

    public ImmutableList<CollectorStatus> Collectors { get; init; } = [];

    public ImmutableList<string> Warnings { get; init; } = [];

    public SnapshotDraft With(Contribution c)
    {
        // Builders: a thousand zones added one by one to the immutable collections cost a path copy each
        // (bench/collect: ~1 MB per poll); a builder mutates its own fresh nodes and freezes in O(1).
        var zones = Zones.ToBuilder();
        var order = ZoneOrder.ToBuilder();
        foreach (var z in c.Zones)
        {
            if (zones.TryGetValue(z.Id, out var existing))
            {
                zones[z.Id] = ZoneMerge.Merge(existing, z);
            }
            else
            {
                zones.Add(z.Id, z);
                order.Add(z.Id);
            }
        }

        return this with
        {
            Zones = zones.ToImmutable(),
            ZoneOrder = order.ToImmutable(),
            Services = Services.AddRange(c.Services),
            Holders = Holders.AddRange(c.Holders),
            Provisions = Provisions.AddRange(c.Provisions),
            HostLimits = c.HostLimits is null ? HostLimits : ZoneMerge.Merge(HostLimits, c.HostLimits),
            Warnings = Warnings.AddRange(c.Warnings),
        };
    }

    public SnapshotDraft WithStatus(CollectorStatus status) => this with { Collectors = Collectors.Add(status) };

    public Snapshot Freeze() => new()
    {
        TakenAt = TakenAt,
        Monotonic = Monotonic,
        Host = Host,
        Platform = Platform,
        Zones = [.. ZoneOrder.Select(id => Zones[id])],
        Services = [.. Services],
        TopHolders = [.. Holders],
        Provisions = [.. Provisions],
        HostLimits = HostLimits,
        Collectors = [.. Collectors],
        Warnings = [.. Warnings],
    };
}
