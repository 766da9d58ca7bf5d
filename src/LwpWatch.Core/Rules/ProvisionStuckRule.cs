using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// provision-stuck (illumos): &lt;zonepath&gt;/root/var/svc/provisioning is still there N s after it appeared
/// while vmadm says provisioning. States the seconds left until vmadm's transition_expire, when vmadm fails the
/// provision and stops the zone (and the evidence with it). Carries the differential verdict on why (the same
/// diagnosis as service-stuck): when it is the thread cap, cap-starvation is the incident and this finding one of
/// its symptoms; otherwise this finding is the root cause its zone's stuck services are folded under.
/// </summary>
public sealed class ProvisionStuckRule(ProvisionStuckSettings settings, CapStarvationSettings diagnosis) : IRule
{
    public TimeSpan Lookback => settings.Enabled ? diagnosis.DenialWindow : TimeSpan.Zero;

    public string Name => RuleIds.ProvisionStuck;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var now = context.Now;
        var findings = new List<Finding>();
        if (!settings.Enabled)
        {
            return findings;
        }

        foreach (var (p, since) in context.Stuck.Provisions)
        {
            var age = now - since;
            if (age < settings.MinAge)
            {
                continue;
            }

            var zone = SnapshotIndex.Zone(context.Current, p.ZoneId);
            long? left = p.Deadline is { } dl ? Math.Max(0, (long)(dl - now).TotalSeconds) : null;
            var severity = left is { } l && l <= settings.CriticalWhenLeft.TotalSeconds ? Severity.Critical : Severity.Warning;
            var deadline = p.Deadline is { } d
                ? string.Create(CultureInfo.InvariantCulture, $"vmadm fails it and stops the zone in {left}s (transition_expire {Output.Timestamps.Seconds(d)})")
                : "vmadm reports no transition_expire";
            var usage = zone is { Lwps: { } u, LwpLimit: { } cap } ? string.Create(CultureInfo.InvariantCulture, $" (LWPs {u}/{cap})") : "";
            var verdict = Diagnosis.Diagnose(p.ZoneId, null, context, diagnosis);
            var cause = verdict.IsCap ? $"cause: its thread cap, see {RuleIds.CapStarvation}" : $"verdict {verdict.Cause.WireName()}: {verdict.Detail}";
            findings.Add(new Finding
            {
                Rule = Name,
                ZoneId = p.ZoneId,
                Severity = severity,
                Since = now,
                Summary = string.Create(CultureInfo.InvariantCulture, $"{zone?.DisplayName ?? p.ZoneId}{usage} still provisioning after {(long)age.TotalSeconds}s; {deadline}; {cause}"),
                Figures = EvidenceMap.Of(
                    ("vmState", p.VmState),
                    ("markerAgeSeconds", (long)age.TotalSeconds),
                    ("markerSince", since),
                    ("deadline", p.Deadline),
                    ("secondsLeft", left),
                    ("lwps", zone?.Lwps),
                    ("lwpLimit", zone?.LwpLimit)),
                Verdict = verdict,
                Hints =
                [
                    Hint.Command(Name, p.ZoneId, HintEffect.ReadOnly, ShellWord.Literal("svcs"), ShellWord.Literal("-xv"), ShellWord.Literal("-z"), ShellWord.Text(p.ZoneId)),
                    Hint.Command(Name, p.ZoneId, HintEffect.ReadOnly, ShellWord.Literal("vmadm"), ShellWord.Literal("get"), ShellWord.Text(p.ZoneId)),
                ],
            });
        }

        return findings;
    }
}
