using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// Where a rule's findings sit in an incident. A root cause at level L folds (and, as an alert, inhibits) the
/// findings of its zone that are lower in the chain: symptoms and root causes of a higher level, exactly what
/// Alertmanager's inhibit_rules with <c>equal: [zone, host]</c> do (packaging/alertmanager mirrors this chain).
/// A finding of <see cref="None"/> never folds and is never folded.
/// </summary>
public readonly record struct IncidentRole
{
    private const int SymptomLevel = int.MaxValue;

    private IncidentRole(int level) => Level = level;

    /// <summary>0: outside incidents; 1..: a root cause, lower = more fundamental; int.MaxValue: a symptom.</summary>
    public int Level { get; }

    public static IncidentRole None => new(0);

    public static IncidentRole Symptom => new(SymptomLevel);

    public static IncidentRole RootCause(int level) =>
        level is > 0 and < SymptomLevel ? new(level) : throw new ArgumentOutOfRangeException(nameof(level), level, "a root cause level is in [1, int.MaxValue)");

    public bool IsRootCause => Level is > 0 and < SymptomLevel;

    public bool IsSymptom => Level == SymptomLevel;

    /// <summary>Whether a finding of this role is above one of <paramref name="other"/> in the chain.</summary>
    public bool Outranks(IncidentRole other) => IsRootCause && other.Level > Level;

    /// <summary>
    /// Whether <paramref name="root"/> folds <paramref name="symptom"/>: same zone, above it in the chain, and at least
    /// as severe (a warning never hides a critical: that critical stays its own page, as an inhibit rule matching on
    /// severity keeps it).
    /// </summary>
    public static bool Folds(string rootRule, Severity rootSeverity, string rootZone, string symptomRule, Severity symptomSeverity, string symptomZone) =>
        string.Equals(rootZone, symptomZone, StringComparison.Ordinal)
        && rootSeverity >= symptomSeverity
        && RuleFactory.RoleOf(rootRule).Outranks(RuleFactory.RoleOf(symptomRule));
}
