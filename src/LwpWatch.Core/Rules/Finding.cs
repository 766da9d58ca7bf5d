using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// One thing a rule says is wrong, with its proof and the exact commands that fix it.
/// <see cref="Since"/> is when this finding first fired in its current episode (the engine keeps it
/// stable across polls). Evidence values are strings, numbers, booleans or arrays of those/records.
/// </summary>
public sealed record Finding
{
    public required string Rule { get; init; }

    public required string ZoneId { get; init; }

    /// <summary>FMRI or unit, for service findings; null otherwise.</summary>
    public string? Service { get; init; }

    public required Severity Severity { get; init; }

    public required DateTimeOffset Since { get; init; }

    public required string Summary { get; init; }

    public ImmutableSortedDictionary<string, object> Evidence { get; init; } =
        ImmutableSortedDictionary<string, object>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Exact commands, ids filled in. LwpWatch never runs them itself.</summary>
    public ImmutableArray<string> Hints { get; init; } = [];

    /// <summary>Id of the saved evidence bundle, when one was written for this finding.</summary>
    public string? EvidenceId { get; init; }

    /// <summary>Stable identity across polls and restarts: rule + zone + service.</summary>
    public string Fingerprint => Service is null ? $"{Rule}|{ZoneId}" : $"{Rule}|{ZoneId}|{Service}";
}
