using System.Collections.Immutable;

namespace LwpWatch.Core.Rules;

/// <summary>
/// One problem as on-call should see it: the most fundamental root cause firing in a zone (<see cref="Head"/>) and
/// the findings of that zone it explains (<see cref="Symptoms"/>), or a finding on its own (no symptoms). The fix is
/// the head's. Every finding of a poll is in exactly one incident.
/// </summary>
public sealed record Incident(Finding Head, ImmutableArray<Finding> Symptoms)
{
    public string Fingerprint => Head.Fingerprint;

    /// <summary>
    /// The incidents of one poll's findings, in the findings' order (most severe first). In each zone the root cause
    /// highest in the chain heads; a finding it folds (<see cref="IncidentRole.Folds"/>) is listed under it, not on
    /// its own.
    /// </summary>
    public static ImmutableArray<Incident> Group(IReadOnlyList<Finding> findings)
    {
        var heads = new Dictionary<string, Finding>(StringComparer.Ordinal);
        foreach (var f in findings)
        {
            var role = RuleFactory.RoleOf(f.Rule);
            if (!role.IsRootCause)
            {
                continue;
            }

            if (!heads.TryGetValue(f.ZoneId, out var best) || Better(f, role, best))
            {
                heads[f.ZoneId] = f;
            }
        }

        var folded = new Dictionary<Finding, ImmutableArray<Finding>.Builder>(ReferenceEqualityComparer.Instance);
        var order = new List<Finding>(findings.Count);
        foreach (var f in findings)
        {
            if (heads.TryGetValue(f.ZoneId, out var head) && !ReferenceEquals(head, f)
                && IncidentRole.Folds(head.Rule, head.Severity, head.ZoneId, f.Rule, f.Severity, f.ZoneId))
            {
                Folded(folded, head).Add(f);
                continue;
            }

            order.Add(f);
        }

        return [.. order.Select(f => new Incident(f, folded.TryGetValue(f, out var s) ? s.ToImmutable() : []))];
    }

    private static ImmutableArray<Finding>.Builder Folded(Dictionary<Finding, ImmutableArray<Finding>.Builder> folded, Finding head)
    {
        if (!folded.TryGetValue(head, out var b))
        {
            b = ImmutableArray.CreateBuilder<Finding>();
            folded[head] = b;
        }

        return b;
    }

    /// <summary>Higher in the chain wins; at the same level the more severe one.</summary>
    private static bool Better(Finding f, IncidentRole role, Finding best)
    {
        var bestRole = RuleFactory.RoleOf(best.Rule);
        return role.Level != bestRole.Level ? role.Level < bestRole.Level : f.Severity > best.Severity;
    }
}
