using System.Globalization;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// provision-stuck (illumos): &lt;zonepath&gt;/root/var/svc/provisioning is still there N s after it appeared
/// while vmadm says provisioning. States the seconds left until vmadm's transition_expire, when vmadm fails the
/// provision and stops the zone (and the evidence with it).
/// </summary>
public sealed class ProvisionStuckRule(ProvisionStuckSettings settings) : IRule
{
    private readonly Dictionary<string, DateTimeOffset> _firstSeen = new(StringComparer.Ordinal);

    public string Name => RuleIds.ProvisionStuck;

    public IEnumerable<Finding> Evaluate(RuleContext context)
    {
        var now = context.Now;
        ShiftAll(_firstSeen, context);
        var findings = new List<Finding>();
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in context.Current.Provisions)
        {
            if (!p.MarkerPresent || p.VmState != "provisioning")
            {
                continue;
            }

            live.Add(p.ZoneId);
            if (!_firstSeen.TryGetValue(p.ZoneId, out var first))
            {
                first = now;
                _firstSeen[p.ZoneId] = first;
            }

            // The marker's mtime is when provisioning began; our first sight bounds it after a restart.
            var since = p.MarkerSince is { } m && m < first ? m : first;
            var age = now - since;
            if (!settings.Enabled || age < settings.MinAge)
            {
                continue;
            }

            var zone = SnapshotIndex.Zone(context.Current, p.ZoneId);
            long? left = p.Deadline is { } dl ? Math.Max(0, (long)(dl - now).TotalSeconds) : null;
            var severity = left is { } l && l <= settings.CriticalWhenLeft.TotalSeconds ? Severity.Critical : Severity.Warning;
            var deadline = p.Deadline is { } d
                ? string.Create(CultureInfo.InvariantCulture, $"vmadm fails it and stops the zone in {left}s (transition_expire {d.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'})")
                : "vmadm reports no transition_expire";
            var usage = zone is { Lwps: { } u, LwpLimit: { } cap } ? string.Create(CultureInfo.InvariantCulture, $" (LWPs {u}/{cap})") : "";
            findings.Add(new Finding
            {
                Rule = Name,
                ZoneId = p.ZoneId,
                Severity = severity,
                Since = now,
                Summary = string.Create(CultureInfo.InvariantCulture, $"{zone?.DisplayName ?? p.ZoneId}{usage} still provisioning after {(long)age.TotalSeconds}s; {deadline}"),
                Figures = EvidenceMap.Of(
                    ("vmState", p.VmState),
                    ("markerAgeSeconds", (long)age.TotalSeconds),
                    ("markerSince", since),
                    ("deadline", p.Deadline),
                    ("secondsLeft", left),
                    ("lwps", zone?.Lwps),
                    ("lwpLimit", zone?.LwpLimit)),
                Hints =
                [
                    Hint.Command(Name, p.ZoneId, HintEffect.ReadOnly, ShellWord.Literal("svcs"), ShellWord.Literal("-xv"), ShellWord.Literal("-z"), ShellWord.Text(p.ZoneId)),
                    Hint.Command(Name, p.ZoneId, HintEffect.ReadOnly, ShellWord.Literal("vmadm"), ShellWord.Literal("get"), ShellWord.Text(p.ZoneId)),
                ],
            });
        }

        foreach (var gone in _firstSeen.Keys.Where(k => !live.Contains(k)).ToList())
        {
            _firstSeen.Remove(gone);
        }

        return findings;
    }

    /// <summary>Moves remembered first-sight times by a backward clock step (see <see cref="RuleContext.ClockStep"/>).</summary>
    internal static void ShiftAll(Dictionary<string, DateTimeOffset> firstSeen, RuleContext context)
    {
        if (context.ClockStep != TimeSpan.Zero)
        {
            foreach (var (key, t) in firstSeen.ToList())
            {
                firstSeen[key] = context.Adjust(t);
            }
        }
    }
}
