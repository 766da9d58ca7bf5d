using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Illumos;

/// <summary>
/// Fork denials (forkfail_cap, cumulative since zone boot: rules take deltas), other fork failures and CPU
/// wait from <c>zones:::</c>, and process counts/caps from <c>caps:::nprocs_zone_&lt;id&gt;</c>. Both modules come
/// from one kstat run (one fork per tool per poll). A malformed caps section costs only the process figures.
/// </summary>
public sealed class KstatCollector(IHostSource io, IllumosSettings settings) : ICollector
{
    public static readonly ImmutableArray<string> Argv = ["kstat", "-p", "zones:::", "caps:::"];

    private static readonly string Input = string.Join(' ', Argv);

    public string Name => "illumos-kstat";

    public async Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var (stdout, _) = await IllumosCommand.RunAsync(io, Argv, settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
        var values = KstatParser.Parse(stdout, Input);
        var zoneStats = ZonesKstatParser.Parse(values, Input);
        var warnings = ImmutableArray.CreateBuilder<string>();
        var nprocs = new Dictionary<string, CapKstat>(StringComparer.Ordinal);
        try
        {
            foreach (var cap in CapsKstatParser.Parse(values, Input))
            {
                if (string.Equals(cap.Resource, "nprocs", StringComparison.Ordinal))
                {
                    nprocs[cap.ZoneName] = cap;
                }
            }
        }
        catch (ParseException ex)
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
