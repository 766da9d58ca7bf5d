using System.Runtime.CompilerServices;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// Zone lookup by id per snapshot, built once per snapshot and dropped with it, so rules that walk the
/// history window (forecast, denials in a window) cost O(zones x polls), not O(zones^2 x polls).
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
