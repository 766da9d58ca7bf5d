using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Alerts;

/// <summary>
/// One alert: a finding followed over time. Plain data only (strings, times, typed hints), so it can be exported,
/// persisted and imported to survive a restart. <see cref="StartsAt"/> is fixed for the whole episode
/// and, with the fingerprint, forms the idempotency key receivers may dedup on.
/// </summary>
public sealed record Alert
{
    public required string Fingerprint { get; init; }

    public required string Rule { get; init; }

    public required string ZoneId { get; init; }

    public string? Service { get; init; }

    public required Severity Severity { get; init; }

    public required AlertState State { get; init; }

    /// <summary>When the finding was first seen in this episode (pending started); Alertmanager's startsAt, as Prometheus does it.</summary>
    public required DateTimeOffset StartsAt { get; init; }

    /// <summary>When it became firing; null while pending.</summary>
    public DateTimeOffset? FiredAt { get; init; }

    /// <summary>When the finding cleared; null unless resolved.</summary>
    public DateTimeOffset? EndsAt { get; init; }

    /// <summary>Last poll that still saw the finding.</summary>
    public required DateTimeOffset LastSeenAt { get; init; }

    public required string Summary { get; init; }

    public string Description { get; init; } = "";

    /// <summary>The finding's hints; every output prints <see cref="Hint.Render"/>.</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(HintListJsonConverter))]
    public ImmutableArray<Hint> Hints { get; init; } = [];

    public string? EvidenceId { get; init; }

    public string? RunbookUrl { get; init; }

    public ImmutableSortedDictionary<string, string> Labels { get; init; } =
        ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Receiver name -> when it was last sent a firing notification for this episode.</summary>
    public ImmutableSortedDictionary<string, DateTimeOffset> Notified { get; init; } =
        ImmutableSortedDictionary<string, DateTimeOffset>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Severity as last notified, so an escalation (warning -> critical) is sent at once.</summary>
    public Severity? NotifiedSeverity { get; init; }

    /// <summary>
    /// The firing root-cause alert of this zone that explains this one (its incident's head), as of the last poll;
    /// null when it stands on its own. While set, native receivers are not sent this alert: the head's
    /// notification lists it (Alertmanager receivers get it, for the shipped inhibit_rules to mute).
    /// </summary>
    public string? InhibitedBy { get; init; }

    /// <summary>The alerts this one inhibits (its incident's symptoms), as of the last poll; kept when it resolves.</summary>
    public ImmutableArray<AlertSymptom> Symptoms { get; init; } = [];

    /// <summary>fingerprint + startsAt: the same for every retry and re-notification of one episode.</summary>
    public string IdempotencyKey => $"{Fingerprint}@{Output.Timestamps.Millis(StartsAt)}";

    /// <summary>
    /// "near-cap" -> "LwpWatchNearCap": the alertname on-call sees in Alertmanager, and the name of the shipped
    /// Prometheus alert for the same condition (a test holds packaging/prometheus to it).
    /// </summary>
    public static string AlertName(string rule)
    {
        var parts = rule.Split(['-', '_', ' '], StringSplitOptions.RemoveEmptyEntries);
        return "LwpWatch" + string.Concat(parts.Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }
}

/// <summary>A symptom folded into an incident, as its head's notification lists it.</summary>
public sealed record AlertSymptom
{
    public required string Fingerprint { get; init; }

    public required string Rule { get; init; }

    public string? Service { get; init; }

    public required Severity Severity { get; init; }

    public required DateTimeOffset StartsAt { get; init; }

    public required string Summary { get; init; }

    /// <summary>"CRITICAL LwpWatchForkDenied: summary": one line of a notification's symptom list.</summary>
    public string Line => $"{Output.OutputNames.Severity(Severity).ToUpperInvariant()} {Alert.AlertName(Rule)}: {Summary}";

    public static AlertSymptom Of(Alert a) => new()
    {
        Fingerprint = a.Fingerprint,
        Rule = a.Rule,
        Service = a.Service,
        Severity = a.Severity,
        StartsAt = a.StartsAt,
        Summary = a.Summary,
    };
}
