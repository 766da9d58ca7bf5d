using System.Collections.Immutable;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Illumos;

/// <summary>
/// Every configured zone, its state, zonepath and (when running) numeric id: one <c>zoneadm list -pc</c> per poll.
/// A line it cannot read is a warning naming that zone; the other zones are collected as usual.
/// </summary>
public sealed class ZoneadmCollector(IHostSource io, IllumosSettings settings) : ICollector
{
    public static readonly ImmutableArray<string> Argv = ["zoneadm", "list", "-pc"];

    public string Name => "illumos-zones";

    public async Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var (stdout, _) = await IllumosCommand.RunAsync(io, Argv, settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
        var listing = ZoneadmParser.Parse(stdout);
        var zones = ImmutableArray.CreateBuilder<Zone>(listing.Zones.Length);
        foreach (var e in listing.Zones)
        {
            zones.Add(new Zone
            {
                Id = e.Name,
                Kind = ZoneKind.IllumosZone,
                Name = e.Name,
                ZoneNumericId = e.Id,
                State = e.State,
                ZonePath = e.ZonePath,
            });
        }

        return new Contribution { Zones = zones.MoveToImmutable(), Warnings = listing.Warnings };
    }
}
