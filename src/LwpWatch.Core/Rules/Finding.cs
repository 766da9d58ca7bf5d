using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// One thing a rule says is wrong, with its proof and the exact commands that fix it.
/// <see cref="Since"/> is when this finding first fired in its current episode (the engine keeps it
/// stable across polls). What other code acts on is typed (<see cref="Verdict"/>, <see cref="SuggestedLimit"/>,
/// <see cref="Notes"/>, <see cref="Hints"/>); <see cref="Figures"/> are the rule's figures, for people and JSON.
/// </summary>
public sealed record Finding
{
    /// <summary>A <see cref="RuleIds"/> value.</summary>
    public required string Rule { get; init; }

    public required string ZoneId { get; init; }

    /// <summary>FMRI or unit, for service findings; null otherwise.</summary>
    public string? Service { get; init; }

    public required Severity Severity { get; init; }

    public required DateTimeOffset Since { get; init; }

    public required string Summary { get; init; }

    /// <summary>The rule's own figures (usage, cap, denials, holders...).</summary>
    public EvidenceMap Figures { get; init; } = EvidenceMap.Empty;

    /// <summary>The differential diagnosis, for findings about a stuck service/provision.</summary>
    public Verdict? Verdict { get; init; }

    /// <summary>The cap the hints set (one sizing for every rule: <see cref="Remediation"/>).</summary>
    public long? SuggestedLimit { get; init; }

    /// <summary>Why the hints are what they are; shown beside them, never executed.</summary>
    public ImmutableArray<string> Notes { get; init; } = [];

    /// <summary>Exact commands, ids filled in. LwpWatch never runs them itself.</summary>
    public ImmutableArray<Hint> Hints { get; init; } = [];

    /// <summary>Stable identity across polls and restarts: rule + zone + service.</summary>
    public string Fingerprint => Service is null ? $"{Rule}|{ZoneId}" : $"{Rule}|{ZoneId}|{Service}";

    /// <summary>
    /// Everything the finding proves, as the JSON outputs and alert descriptions show it (the `evidence` object of
    /// `check --format json`): <see cref="Figures"/> plus the typed parts under their documented keys
    /// (suggestedLimit, notes, verdict, why, projected).
    /// </summary>
    public EvidenceMap Evidence
    {
        get
        {
            var e = Figures;
            if (SuggestedLimit is { } n)
            {
                e = e.With(EvidenceKeys.SuggestedLimit, n);
            }

            if (!Notes.IsDefaultOrEmpty)
            {
                e = e.With(EvidenceKeys.Notes, Notes);
            }

            if (Verdict is { } v)
            {
                e = e.With(EvidenceKeys.Verdict, v.Cause.WireName()).With(EvidenceKeys.Why, v.Detail);
                if (v.Projected)
                {
                    e = e.With(EvidenceKeys.Projected, true);
                }
            }

            return e;
        }
    }

    public bool Equals(Finding? other) =>
        other is not null && Rule == other.Rule && ZoneId == other.ZoneId && Service == other.Service && Severity == other.Severity
        && Since == other.Since && Summary == other.Summary && Figures.Equals(other.Figures) && Equals(Verdict, other.Verdict)
        && SuggestedLimit == other.SuggestedLimit && Notes.SequenceEqual(other.Notes) && Hints.SequenceEqual(other.Hints);

    public override int GetHashCode() => HashCode.Combine(Rule, ZoneId, Service, Severity, Since);
}

/// <summary>Keys of <see cref="Finding.Evidence"/> that come from typed fields (a JSON contract).</summary>
public static class EvidenceKeys
{
    public const string SuggestedLimit = "suggestedLimit";
    public const string Notes = "notes";
    public const string Verdict = "verdict";
    public const string Why = "why";
    public const string Projected = "projected";
}
