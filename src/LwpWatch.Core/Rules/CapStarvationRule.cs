using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// cap-starvation, the root cause: services stuck in transition (or a provision stuck with its marker) in a
/// zone that is at/near its thread cap or refusing forks become ONE critical finding per starved zone. It names
/// the zone (id + alias/unit), cap, usage, denials in the window, the top thread holders, the stuck services and
/// provision (with vmadm's time left), and the exact commands that raise the cap with the computed N. A stuck
/// service whose zone is not short of threads is left to service-stuck's differential verdict: the cap is
/// never blamed without evidence.
/// </summary>
public sealed class CapStarvationRule(CapStarvationSettings settings, ProvisionStuckSettings provisions, CapSizing? sizing = null) : IRule
{
    // The diagnosis and the deadline projection both look back over the denial window.
    public TimeSpan Lookback => settings.Enabled ? settings.DenialWindow : TimeSpan.Zero;

    private readonly CapSizing _sizing = sizing ?? CapSizing.Default;

    /// <summary>Triton: a zone with a delegated dataset needs this many LWPs for `zfs mount -va` at boot.</summary>
    public const long TritonZfsMountLwps = CapSizing.TritonZfsMountLwps;

    public string Name => RuleIds.CapStarvation;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        if (!settings.Enabled)
        {
            return [];
        }

        var now = context.Now;
        // Group by the starved zone: several stuck services in one zone are one problem, one page.
        var byZone = new Dictionary<string, Case>(StringComparer.Ordinal);
        foreach (var (p, since) in context.Stuck.Provisions)
        {
            var age = now - since;
            if (age < provisions.MinAge)
            {
                continue;
            }

            var verdict = Diagnosis.Diagnose(p.ZoneId, null, context, settings);
            if (!verdict.IsCap && p.Deadline is { } deadline && SnapshotIndex.Zone(context.Current, p.ZoneId) is { } z)
            {
                verdict = Diagnosis.ProjectBeforeDeadline(z, deadline, context, settings.DenialWindow) ?? verdict;
            }

            if (verdict is { IsCap: true, StarvedZone: { } zone })
            {
                Get(byZone, zone, verdict).Provision = (p, age);
            }
        }

        foreach (var (service, since) in context.Stuck.Services)
        {
            if (now - since < settings.StuckFor)
            {
                continue;
            }

            var verdict = Diagnosis.Diagnose(service.ZoneId, service, context, settings);
            if (verdict is { IsCap: true, StarvedZone: { } zone })
            {
                Get(byZone, zone, verdict).Services.Add((service, since));
            }
            else if (byZone.TryGetValue(service.ZoneId, out var racing))
            {
                // Its zone is projected to run out before vmadm's deadline: the same problem, the same page.
                racing.Services.Add((service, since));
            }
        }

        var findings = new List<Finding>(byZone.Count);
        foreach (var c in byZone.Values)
        {
            findings.Add(Build(c, context));
        }

        return findings;
    }

    private static Case Get(Dictionary<string, Case> byZone, Zone zone, Verdict verdict)
    {
        if (!byZone.TryGetValue(zone.Id, out var c))
        {
            c = new Case(zone, verdict);
            byZone[zone.Id] = c;
        }

        return c;
    }

    private Finding Build(Case c, RuleContext ctx)
    {
        var zone = c.Zone;
        var now = ctx.Now;
        var illumos = zone.Kind == ZoneKind.IllumosZone;
        // The Triton floor for a provisioning / mounting zone is part of the one sizing (every rule shows it).
        var n = _sizing.Suggest(zone, ctx.Current);

        var services = c.Services.OrderBy(s => s.Since).ToList();
        var parts = new List<string>();
        foreach (var (s, since) in services)
        {
            parts.Add($"{s.Name} stuck {s.State}{(s.NextState is { } nx && nx != "-" ? "->" + nx : "")} for {Diagnosis.Fmt(now - since)}");
        }

        string? provisionText = null;
        if (c.Provision is var (p, age))
        {
            provisionText = p.Deadline is { } dl
                ? string.Create(CultureInfo.InvariantCulture, $"provisioning for {(int)age.TotalSeconds}s, vmadm fails it and stops the zone in {Math.Max(0, (int)(dl - now).TotalSeconds)}s")
                : string.Create(CultureInfo.InvariantCulture, $"provisioning for {(int)age.TotalSeconds}s");
            parts.Add(provisionText);
        }

        // Every refusal since the zone started (the counter's own span), not only what rose while LwpWatch watched.
        var denials = Diagnosis.Refusals(zone, c.Verdict.Denials, c.Verdict.DenialsSinceStart, c.Verdict.DenialSpan, Diagnosis.StartedAt(zone, ctx.Current))
            .Replace(" refused since", " thread/process creations refused since", StringComparison.Ordinal);
        var summary = c.Verdict.Projected
            ? string.Create(CultureInfo.InvariantCulture,
                $"{zone.DisplayName} will run out of threads before vmadm's deadline ({Trend(c.Verdict.Detail)}): {string.Join("; ", parts)}. Raise its cap to {n} now, while prctl can still act.")
            : string.Create(CultureInfo.InvariantCulture,
                $"{zone.DisplayName} is out of threads ({zone.Lwps}/{zone.LwpLimit}{denials}): {string.Join("; ", parts)}. Raise its cap to {n}.");

        // At exactly the cap prctl cannot act: the hints then lead with what works and the notes name the holders.
        var hints = Remediation.RaiseCapCommands(Name, zone, n, ctx.Current);
        var notes = ImmutableArray.CreateBuilder<string>();
        notes.AddRange(Remediation.Notes(zone, ctx.Current));

        if (!illumos && services.Count > 0)
        {
            notes.Add("after raising the cap, a unit that gave up on a refused thread needs: systemctl restart <unit>");
        }

        var stuckRows = services.Select(x => EvidenceMap.Of(
            ("service", x.Service.Name),
            ("state", x.Service.State),
            ("nextState", x.Service.NextState),
            ("since", x.Since),
            ("stuckSeconds", (long)(now - x.Since).TotalSeconds),
            ("tasks", x.Service.Tasks),
            ("tasksLimit", x.Service.TasksLimit))).ToImmutableArray();

        return new Finding
        {
            Rule = Name,
            ZoneId = zone.Id,
            // One finding per starved zone whichever of its services is stuck first (they are in stuckServices): its
            // fingerprint, so its alert and page, must not change when another service gets stuck or one recovers.
            Severity = Severity.Critical,
            Since = now,
            Summary = summary,
            Figures = EvidenceMap.Of(
                ("zone", zone.Id),
                ("zoneName", zone.Name),
                ("kind", zone.Kind),
                ("unit", zone.Unit),
                ("container", zone.Container),
                ("cgroupPath", zone.CgroupPath),
                ("lwps", zone.Lwps),
                ("lwpLimit", zone.LwpLimit),
                ("peak", zone.Peak),
                ("denialsInWindow", c.Verdict.Denials),
                ("denialsSinceStart", c.Verdict.DenialsSinceStart ? true : null),
                ("denialsTotal", zone.Denials),
                ("stuckServices", stuckRows),
                ("provision", c.Provision is var (pp, aa) ? EvidenceMap.Of(
                    ("markerAgeSeconds", (long)aa.TotalSeconds),
                    ("deadline", pp.Deadline),
                    ("secondsLeft", pp.Deadline is { } d2 ? Math.Max(0, (long)(d2 - now).TotalSeconds) : null)) : null),
                ("topHolders", Diagnosis.Holders(ctx.Current, zone.Id))),
            Verdict = c.Verdict,
            SuggestedLimit = n,
            Notes = notes.ToImmutable(),
            Hints = hints,
        };
    }

    /// <summary>"x at 172/400 threads and rising 160/min: at its cap in ~85s, before ..." -> "172/400 threads and rising 160/min: at its cap in ~85s".</summary>
    private static string Trend(string detail)
    {
        var start = detail.IndexOf(" at ", StringComparison.Ordinal);
        var t = start < 0 ? detail : detail[(start + 4)..];
        var end = t.IndexOf(", before", StringComparison.Ordinal);
        return end < 0 ? t : t[..end];
    }

    private sealed class Case(Zone zone, Verdict verdict)
    {
        public Zone Zone { get; } = zone;

        public Verdict Verdict { get; } = verdict;

        public List<(ServiceState Service, DateTimeOffset Since)> Services { get; } = [];

        public (Provision P, TimeSpan Age)? Provision { get; set; }
    }
}
