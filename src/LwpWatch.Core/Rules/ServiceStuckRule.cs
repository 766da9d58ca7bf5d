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
    private readonly TransitionTracker _tracker = new();

    public string Name => "service-stuck";

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var stuck = _tracker.Update(context);
        var findings = new List<Finding>();
        if (!settings.Enabled)
        {
            return findings;
        }

        var now = context.Now;
        foreach (var (s, since) in stuck)
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
            var tail = verdict.IsCap ? $"cause: its thread cap ({verdict.Detail}), see cap-starvation" : $"verdict {verdict.Cause}: {verdict.Detail}";
            findings.Add(new Finding
            {
                Rule = Name,
                ZoneId = s.ZoneId,
                Service = s.Name,
                Severity = severity,
                Since = now,
                Summary = string.Create(CultureInfo.InvariantCulture, $"{s.Name} in {where} stuck {transition} for {Diagnosis.Fmt(stuckFor)} (threshold {Diagnosis.Fmt(threshold)}); {tail}"),
                Evidence = Evidence.Of(
                    ("state", s.State),
                    ("nextState", s.NextState),
                    ("stuckSince", since.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                    ("stuckSeconds", (long)stuckFor.TotalSeconds),
                    ("thresholdSeconds", (long)threshold.TotalSeconds),
                    ("tasks", s.Tasks),
                    ("tasksLimit", s.TasksLimit),
                    ("controlGroup", s.ControlGroup),
                    ("verdict", verdict.Cause),
                    ("why", verdict.Detail)),
                Hints = Look(s),
            });
        }

        return findings;
    }

    /// <summary>Where to look next (read-only commands); fixes come with a verdict that has one.</summary>
    private static System.Collections.Immutable.ImmutableArray<string> Look(ServiceState s) =>
        s.Name.StartsWith("svc:/", StringComparison.Ordinal)
            ? [$"svcs -xv -z {s.ZoneId} {s.Name}"]
            : [$"systemctl status {s.Name}", $"journalctl -u {s.Name} -n 50 --no-pager"];
}
