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
/// tools outside this repo record them that way. A failed or malformed caps run costs only the process figures.
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
        var zoneStats = ZonesKstatParser.Parse(KstatParser.Parse(stdout, ZonesInput), ZonesInput);
        var warnings = ImmutableArray.CreateBuilder<string>();
        var nprocs = new Dictionary<string, CapKstat>(StringComparer.Ordinal);
        try
        {
            var (caps, _) = await IllumosCommand.RunAsync(io, CapsArgv, settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
            foreach (var cap in CapsKstatParser.Parse(KstatParser.Parse(caps, CapsInput), CapsInput))
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

        var zones = ImmutableArray.CreateBuilder<Zone>(zoneStats.Length);
        foreach (var z in zoneStats)
        {
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

        return new Contribution { Zones = zones.MoveToImmutable(), Warnings = warnings.ToImmutable() };
    }
}
