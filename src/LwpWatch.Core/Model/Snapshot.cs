using System.Collections.Immutable;

namespace LwpWatch.Core.Model;

/// <summary>One poll: everything the collectors saw, frozen. Rules compare two of these.</summary>
public sealed record Snapshot
{
    public required DateTimeOffset TakenAt { get; init; }

    /// <summary>
    /// The monotonic clock (time since boot, not stepped by NTP) when <see cref="TakenAt"/> was read, for telling a
    /// wall-clock step from time that really passed. Null when unknown: a replay, or a poller on a test clock.
    /// </summary>
    public TimeSpan? Monotonic { get; init; }

    public required string Host { get; init; }

    /// <summary>"linux" or "illumos".</summary>
    public required string Platform { get; init; }

    public ImmutableArray<Zone> Zones { get; init; } = [];

    public ImmutableArray<ServiceState> Services { get; init; } = [];

    /// <summary>Top thread holders, already cut to the configured number per zone, biggest first.</summary>
    public ImmutableArray<ThreadHolder> TopHolders { get; init; } = [];

    public ImmutableArray<Provision> Provisions { get; init; } = [];

    public HostLimits? HostLimits { get; init; }

    public ImmutableArray<CollectorStatus> Collectors { get; init; } = [];

    /// <summary>Problems a collector saw that did not fail it (e.g. svcs -Z skipped a zone).</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    public Zone? FindZone(string id)
    {
        foreach (var z in Zones)
        {
            if (string.Equals(z.Id, id, StringComparison.Ordinal))
            {
                return z;
            }
        }

        return null;
    }

    public IEnumerable<ThreadHolder> HoldersOf(string zoneId) =>
        TopHolders.Where(h => string.Equals(h.ZoneId, zoneId, StringComparison.Ordinal));

    public IEnumerable<ServiceState> ServicesOf(string zoneId) =>
        Services.Where(s => string.Equals(s.ZoneId, zoneId, StringComparison.Ordinal));
}
