using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// service-stuck: a service in transition (SMF nstate set, systemd activating/deactivating/reloading) longer
/// than its threshold, timed from the daemon's own first sight with the manager's stamp as a lower bound.
/// Every finding carries the differential verdict (thread-cap, cpu, memory, dependency or unknown) so a stuck
/// service with plenty of threads is never blamed on its cap; the thread-cap case is escalated by
/// cap-starvation as one critical finding per zone.
/// </summary>
public sealed class ServiceStuckRule(ServiceStuckSettings settings, CapStarvationSettings diagnosis) : IRule
{
    // Its verdict is the cap-starvation diagnosis, over that rule's denial window.
    public TimeSpan Lookback => settings.Enabled ? diagnosis.DenialWindow : TimeSpan.Zero;

    public string Name => RuleIds.ServiceStuck;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var findings = new List<Finding>();
        if (!settings.Enabled)
        {
            return findings;
        }

        var now = context.Now;
        foreach (var (s, since) in context.Stuck.Services)
        {
            var threshold = settings.ThresholdFor(s.Name);
            var stuckFor = now - since;
            if (stuckFor < threshold)
            {
                continue;
            }

            var verdict = Diagnosis.Diagnose(s.ZoneId, s, context, diagnosis);
            var severity = settings.CriticalAfter > TimeSpan.Zero && stuckFor >= settings.CriticalAfter ? Severity.Critical : Severity.Warning;
            var transition = s.NextState is { } nx && nx != "-" ? $"{s.State}->{nx}" : s.State;
            var zone = SnapshotIndex.Zone(context.Current, s.ZoneId);
            // A unit's own cgroup is named after it: say where it is, not its name twice.
            var where = zone is null || zone.Name == s.Name ? s.ZoneId : zone.DisplayName;
            var tail = verdict.IsCap ? $"cause: its thread cap ({verdict.Detail}), see {RuleIds.CapStarvation}" : $"verdict {verdict.Cause.WireName()}: {verdict.Detail}";
            findings.Add(new Finding
            {
                Rule = Name,
                ZoneId = s.ZoneId,
                Service = s.Name,
                Severity = severity,
                Since = now,
                Summary = string.Create(CultureInfo.InvariantCulture, $"{s.Name} in {where} stuck {transition} for {Diagnosis.Fmt(stuckFor)} (threshold {Diagnosis.Fmt(threshold)}); {tail}"),
                Figures = EvidenceMap.Of(
                    ("state", s.State),
                    ("nextState", s.NextState),
                    ("stuckSince", since),
                    ("stuckSeconds", (long)stuckFor.TotalSeconds),
                    ("thresholdSeconds", (long)threshold.TotalSeconds),
                    ("tasks", s.Tasks),
                    ("tasksLimit", s.TasksLimit),
                    ("controlGroup", s.ControlGroup)),
                Verdict = verdict,
                Hints = Look(Name, s),
            });
        }

        return findings;
    }

    /// <summary>Where to look next (read-only commands); fixes come with a verdict that has one.</summary>
    private static System.Collections.Immutable.ImmutableArray<Hint> Look(string rule, ServiceState s)
    {
        static ShellWord L(string w) => ShellWord.Literal(w);
        var name = ShellWord.Text(s.Name);
        return s.Name.StartsWith("svc:/", StringComparison.Ordinal)
            ? [Hint.Command(rule, s.ZoneId, HintEffect.ReadOnly, [L("svcs"), L("-xv"), L("-z"), ShellWord.Text(s.ZoneId), .. Remediation.Operands(name)])]
            :
            [
                Hint.Command(rule, s.ZoneId, HintEffect.ReadOnly, [L("systemctl"), L("status"), .. Remediation.Operands(name)]),
                // -u takes the next word as its value even when it starts with '-'.
                Hint.Command(rule, s.ZoneId, HintEffect.ReadOnly, L("journalctl"), L("-u"), name, L("-n"), L("50"), L("--no-pager")),
            ];
    }
}
