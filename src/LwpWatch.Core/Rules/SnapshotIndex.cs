using System.Runtime.CompilerServices;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// Zone lookup by id per snapshot, built once per snapshot and dropped with it, so rules and diagnosis that
/// look zones up in the current poll (ancestors, starved zones, services' zones) cost O(1) per lookup, not a
/// scan of every zone. The history window is <see cref="ZoneHistory"/>, which has its own per-zone index.
/// </summary>
public static class SnapshotIndex
{
    private static readonly ConditionalWeakTable<Snapshot, Dictionary<string, Zone>> Indexes = [];

    public static Zone? Zone(Snapshot snapshot, string id) =>
        Indexes.GetValue(snapshot, Build).GetValueOrDefault(id);

    private static Dictionary<string, Zone> Build(Snapshot s)
    {
        var d = new Dictionary<string, Zone>(s.Zones.Length, StringComparer.Ordinal);
        foreach (var z in s.Zones)
        {
            d.TryAdd(z.Id, z);
        }

        return d;
    }
}
