using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Illumos;

/// <summary>
/// LWP caps, VM aliases and provisioning state. On SmartOS one <c>vmadm list -p</c> gives max_lwps, alias,
/// state and transition_expire for every VM; the provisioning marker's presence and age come from its mtime.
/// Where vmadm does not exist (plain illumos) one <c>prctl -P -n zone.max-lwps -i zone z1 z2 ...</c> covers
/// all running zones instead. prctl needs an agent LWP inside the zone, so it fails on a zone exactly at
/// its cap: that zone's cap is then unknown this poll and a warning says why (never an error for the rest).
/// </summary>
public sealed class ZoneCapsCollector(IHostSource io, IllumosSettings settings) : ICollector
{
    public static readonly ImmutableArray<string> VmadmArgv = ["vmadm", "list", "-p", "-o", VmadmListParser.Fields];

    public static readonly ImmutableArray<string> PrctlPrefix = ["prctl", "-P", "-n", "zone.max-lwps", "-i", "zone"];

    /// <summary>Relative to the zonepath: exists while the zone's first boot (zoneinit) has not finished.</summary>
    public const string ProvisioningMarker = "/root/var/svc/provisioning";

    public string Name => "illumos-caps";

    public async Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var vmadm = await io.RunAsync(VmadmArgv, settings.CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (vmadm.StartError is not null)
        {
            return await FromPrctlAsync(draft, vmadm.StartError, cancellationToken).ConfigureAwait(false);
        }

        if (!vmadm.Succeeded)
        {
            throw new IOException(vmadm.Describe());
        }

        if (vmadm.Truncated)
        {
            throw new IOException($"'{string.Join(' ', VmadmArgv)}' printed more than the output cap; its output was cut");
        }

        var vms = VmadmListParser.Parse(vmadm.Stdout);
        var zones = ImmutableArray.CreateBuilder<Zone>(vms.Length);
        var provisions = ImmutableArray.CreateBuilder<Provision>();
        foreach (var vm in vms)
        {
            cancellationToken.ThrowIfCancellationRequested();
            zones.Add(new Zone
            {
                // On SmartOS the zonename is the VM uuid.
                Id = vm.Uuid,
                Kind = ZoneKind.IllumosZone,
                Name = vm.Alias ?? vm.Uuid,
                LwpLimit = vm.MaxLwps,
                ZonePath = vm.ZonePath,
            });

            var marker = IllumosCommand.UnderZonesRoot(settings.ZonesRoot, vm.ZonePath + ProvisioningMarker);
            var markerSince = io.GetModifiedTime(marker);
            if (markerSince is not null || vm.TransitionExpire is not null || string.Equals(vm.State, "provisioning", StringComparison.Ordinal))
            {
                provisions.Add(new Provision
                {
                    ZoneId = vm.Uuid,
                    VmState = vm.State,
                    MarkerPresent = markerSince is not null,
                    MarkerSince = markerSince,
                    Deadline = vm.TransitionExpire,
                });
            }
        }

        return new Contribution { Zones = zones.MoveToImmutable(), Provisions = provisions.ToImmutable() };
    }

    private async Task<Contribution> FromPrctlAsync(SnapshotDraft draft, string vmadmError, CancellationToken ct)
    {
        var names = new List<string>();
        foreach (var id in draft.ZoneOrder)
        {
            var z = draft.Zones[id];
            if (z.Kind == ZoneKind.IllumosZone && !string.Equals(id, "global", StringComparison.Ordinal)
                && string.Equals(z.State, "running", StringComparison.Ordinal))
            {
                names.Add(id);
            }
        }

        if (names.Count == 0)
        {
            return Contribution.Empty;
        }

        string[] argv = [.. PrctlPrefix, .. names];
        var r = await io.RunAsync(argv, settings.CommandTimeout, ct).ConfigureAwait(false);
        if (r.StartError is not null || r.TimedOut || r.Truncated)
        {
            throw new IOException($"vmadm unavailable ({vmadmError}) and {r.Describe()}");
        }

        // prctl exits non-zero when any zone failed but still prints the others: use what it printed.
        var input = string.Join(' ', argv);
        var parsed = PrctlParser.Parse(r.Stdout, input);
        var failures = PrctlParser.ParseFailures(r.Stderr);
        if (parsed.Length == 0 && failures.Length == 0 && r.ExitCode != 0)
        {
            throw new IOException(r.Describe());
        }

        var zones = ImmutableArray.CreateBuilder<Zone>(parsed.Length);
        foreach (var p in parsed)
        {
            zones.Add(new Zone { Id = p.ZoneName, Kind = ZoneKind.IllumosZone, Name = p.ZoneName, LwpLimit = p.Limit, ZoneNumericId = p.ZoneId });
        }

        var warnings = ImmutableArray.CreateBuilder<string>(failures.Length);
        foreach (var f in failures)
        {
            warnings.Add(f.AtCap
                ? string.Create(CultureInfo.InvariantCulture, $"zone {f.Target}: zone.max-lwps unknown: prctl found no controllable process, which happens when the zone is exactly at its LWP cap ({f.Message})")
                : string.Create(CultureInfo.InvariantCulture, $"prctl: {(f.Target.Length > 0 ? f.Target + ": " : "")}{f.Message}"));
        }

        return new Contribution { Zones = zones.MoveToImmutable(), Warnings = warnings.ToImmutable() };
    }
}
