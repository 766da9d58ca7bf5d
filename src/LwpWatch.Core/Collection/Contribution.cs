using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Collection;

/// <summary>
/// What one collector adds to a poll. Zones with an id already present are merged field by field
/// (a non-null value from this contribution wins), so a cap collector and a usage collector can each fill
/// their half of the same zone.
/// </summary>
public sealed record Contribution
{
    public static readonly Contribution Empty = new();

    public ImmutableArray<Zone> Zones { get; init; } = [];

    public ImmutableArray<ServiceState> Services { get; init; } = [];

    public ImmutableArray<ThreadHolder> Holders { get; init; } = [];

    public ImmutableArray<Provision> Provisions { get; init; } = [];

    public HostLimits? HostLimits { get; init; }

    /// <summary>Non-fatal problems worth surfacing (skipped zones, unreadable entries).</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];
}
