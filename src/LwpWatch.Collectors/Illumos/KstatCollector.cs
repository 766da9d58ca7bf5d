using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Illumos;

/// <summary>
/// Fork denials (forkfail_cap, cumulative since zone boot: rules take deltas), other fork failures and CPU
/// wait from <c>kstat -p zones:::</c>, and process counts/caps from <c>kstat -p caps:::</c> (nprocs_zone_&lt;id&gt;).
/// Two runs with exactly the argv DESIGN.md lists, because capture bundles are replayed by exact argv and
/// tools outside this repo record them that way. A failed or malformed caps run costs only the process figures;
/// a kstat that cannot be read costs only its zone (a warning names it). The nprocs value is zone.max-processes
/// as the kernel enforces it; on SmartOS, where vmadm never sets max-processes, the zone got it from max-lwps at
/// boot, so it is the LWP cap the zone booted with even after the XML says otherwise.
/// </summary>
public sealed class KstatCollector(IHostSource io, IllumosSettings settings) : ICollector
{
    public static readonly ImmutableArray<string> ZonesArgv = ["kstat", "-p", "zones:::"];

    public static readonly ImmutableArray<string> CapsArgv = ["kstat", "-p", "caps:::"];

    private static readonly string ZonesInput = string.Join(' ', ZonesArgv);

    private static readonly string CapsInput = string.Join(' ', CapsArgv);

    public string Name => "illumos-kstat";

    public async Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var (stdout, _) = await IllumosCommand.RunAsync(io, ZonesArgv, settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
        var zonesOutput = KstatParser.Parse(stdout, ZonesInput);
        var zoneStats = ZonesKstatParser.Parse(zonesOutput.Values, ZonesInput);
        var warnings = ImmutableArray.CreateBuilder<string>();
        warnings.AddRange(zonesOutput.Warnings);
        warnings.AddRange(zoneStats.Warnings);
        var nprocs = new Dictionary<string, CapKstat>(StringComparer.Ordinal);
        try
        {
            var (caps, _) = await IllumosCommand.RunAsync(io, CapsArgv, settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
            var capsOutput = KstatParser.Parse(caps, CapsInput);
            var capStats = CapsKstatParser.Parse(capsOutput.Values, CapsInput);
            warnings.AddRange(capsOutput.Warnings);
            warnings.AddRange(capStats.Warnings);
            foreach (var cap in capStats.Caps)
            {
                if (string.Equals(cap.Resource, "nprocs", StringComparison.Ordinal))
                {
                    nprocs[cap.ZoneName] = cap;
                }
            }
        }
        catch (Exception ex) when (ex is ParseException or IOException or InvalidOperationException)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"process counts unavailable: {ex.Message}"));
        }

        var zones = ImmutableArray.CreateBuilder<Zone>(zoneStats.Zones.Length);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var z in zoneStats.Zones)
        {
            reported.Add(z.ZoneName);
            nprocs.TryGetValue(z.ZoneName, out var procs);
            zones.Add(new Zone
            {
                Id = z.ZoneName,
                Kind = ZoneKind.IllumosZone,
                Name = z.ZoneName,
                ZoneNumericId = z.ZoneId,
                Denials = z.ForkfailCap,
                Processes = procs?.Usage,
                ProcessLimit = procs is null || procs.IsUnlimited ? null : procs.Value,
                Pressure = new ZonePressure
                {
                    MemoryFailures = z.ForkfailNomem,
                    ProcessTableFailures = z.ForkfailNoproc,
                    CpuWaitNanos = z.NsecWaitrq,
                },
            });
        }

        // zoneadm said running but the kernel has no zone_misc kstat for it: booted or halted mid-poll, or something
        // is wrong; either way its denials are unknown, which must not read as "none".
        foreach (var id in draft.ZoneOrder)
        {
            if (draft.Zones[id] is { Kind: ZoneKind.IllumosZone, State: "running" } && !reported.Contains(id))
            {
                warnings.Add($"zone {id}: running but missing from '{ZonesInput}'; its denials are unknown this poll");
            }
        }

        return new Contribution { Zones = zones.MoveToImmutable(), Warnings = warnings.ToImmutable() };
    }
}
