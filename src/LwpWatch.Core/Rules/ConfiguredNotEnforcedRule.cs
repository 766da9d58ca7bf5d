using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// configured-not-enforced (illumos/SmartOS): <c>vmadm update max_lwps=N</c> rewrites the zone XML and then runs
/// prctl on the live zone; at the cap that prctl fails and vmadm only logs it (smartos-live VM.js setRctl, the
/// update callback's log.warn), so the file says N while the kernel keeps the old cap. The kernel's side is seen
/// in <c>kstat caps:::nprocs_zone_&lt;id&gt;</c>: its value is zone.max-processes as enforced, which SmartOS set
/// from max-lwps when the zone booted (vmadm never sets max-processes itself). The finding fires when that
/// boot-time cap is below the configured one, usage sits at the boot-time cap and far below the configured one,
/// and denials keep rising: forks are refused by a cap nobody configured anymore. Hints: the live prctl when an
/// LWP is free for its agent; at exactly the enforced cap first what frees LWPs or a reboot (which applies the
/// XML), then the prctl.
/// </summary>
public sealed class ConfiguredNotEnforcedRule(ConfiguredNotEnforcedSettings settings) : IRule
{
    public TimeSpan Lookback => settings.Enabled ? settings.Window : TimeSpan.Zero;

    public string Name => RuleIds.ConfiguredNotEnforced;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var findings = new List<Finding>();
        if (!settings.Enabled)
        {
            return findings;
        }

        foreach (var zone in context.Current.Zones)
        {
            if (Check(zone, context) is { } f)
            {
                findings.Add(f);
            }
        }

        return findings;
    }

    private Finding? Check(Zone zone, RuleContext context)
    {
        if (zone.Kind != ZoneKind.IllumosZone || zone.LwpLimit is not { } configured || zone.ProcessLimit is not { } boot || boot >= configured
            || zone.Lwps is not { } lwps)
        {
            return null;
        }

        var (denials, sinceStart, _) = Diagnosis.DenialsInWindow(zone, context, settings.Window);
        var processes = zone.Processes ?? 0;
        var atBoot = Math.Max(lwps, processes) >= boot * settings.AtBootCapRatio;
        if (denials <= 0 || sinceStart || !atBoot || lwps >= configured * settings.FarBelowRatio)
        {
            return null;
        }

        // The agent LWP prctl needs must fit under the cap the kernel enforces now.
        var atCap = lwps >= boot || processes >= boot;
        var holders = context.Current.HoldersOf(zone.Id).ToList();
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{zone.DisplayName}: configured zone.max-lwps is {configured} but the kernel still enforces {boot}, the cap it booted with; {denials} thread/process creations refused in the last {Diagnosis.Fmt(settings.Window)} at {lwps} LWPs and {processes} processes, far below the configured cap ({lwps}/{configured})");
        return new Finding
        {
            Rule = Name,
            ZoneId = zone.Id,
            Severity = Severity.Critical,
            Since = context.Now,
            Summary = summary,
            Figures = EvidenceMap.Of(
                ("configuredLimit", configured),
                ("enforcedLimit", boot),
                ("lwps", lwps),
                ("processes", zone.Processes),
                ("denialsInWindow", denials),
                ("atEnforcedCap", atCap),
                ("topHolders", Diagnosis.Holders(context.Current, zone.Id))),
            SuggestedLimit = configured,
            Notes = IllumosHints.NotEnforcedNotes(zone, boot, atCap, holders),
            Hints = IllumosHints.EnforceConfigured(Name, zone, configured, atCap),
        };
    }
}
