using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// Runs every rule on each new snapshot, keeps a bounded window of recent snapshots, and keeps each
/// finding's <see cref="Finding.Since"/> stable while it keeps firing. A rule that throws is reported as a
/// rule error (never takes down the poll).
/// </summary>
public sealed class RuleEngine(IReadOnlyList<IRule> rules, TimeSpan historyWindow, int maxHistory = 256)
{
    private readonly Dictionary<string, DateTimeOffset> _since = new(StringComparer.Ordinal);
    private ImmutableArray<Snapshot> _history = [];

    public IReadOnlyList<IRule> Rules => rules;

    public ImmutableArray<Snapshot> History => _history;

    /// <summary>
    /// An engine with new rules (a config reload) that keeps what this one knew: the new rules are run over
    /// the kept history in order, so their per-zone state (for-durations, counters) is what it would be had
    /// they run all along, and findings already firing keep their original first-seen time.
    /// </summary>
    public RuleEngine Rebuild(IReadOnlyList<IRule> newRules, TimeSpan newHistoryWindow)
    {
        var next = new RuleEngine(newRules, newHistoryWindow, maxHistory);
        foreach (var snapshot in _history)
        {
            next.Evaluate(snapshot);
        }

        foreach (var (fingerprint, since) in _since)
        {
            if (next._since.TryGetValue(fingerprint, out var rebuilt) && since < rebuilt)
            {
                next._since[fingerprint] = since;
            }
        }

        return next;
    }

    public RuleOutcome Evaluate(Snapshot current)
    {
        var previous = _history.IsEmpty ? null : _history[^1];
        if (previous is not null && current.TakenAt < previous.TakenAt)
        {
            // The wall clock jumped back: durations measured against older samples would be negative.
            // Start the window again from this poll rather than mis-time every for-duration.
            _history = [];
            previous = null;
        }

        var cutoff = current.TakenAt - historyWindow;
        var kept = _history.Where(s => s.TakenAt >= cutoff).ToList();
        while (kept.Count >= maxHistory)
        {
            kept.RemoveAt(0);
        }

        kept.Add(current);
        _history = [.. kept];

        var ctx = new RuleContext(current, previous, _history);
        var findings = ImmutableArray.CreateBuilder<Finding>();
        var errors = ImmutableArray.CreateBuilder<string>();
        foreach (var rule in rules)
        {
            try
            {
                findings.AddRange(rule.Evaluate(ctx));
            }
            catch (Exception ex)
            {
                errors.Add($"rule {rule.Name} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        var stamped = Stamp(findings.ToImmutable(), current.TakenAt);
        return new RuleOutcome(current, stamped, errors.ToImmutable());
    }

    private ImmutableArray<Finding> Stamp(ImmutableArray<Finding> findings, DateTimeOffset now)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<Finding>(findings.Length);
        foreach (var f in findings)
        {
            live.Add(f.Fingerprint);
            if (_since.TryGetValue(f.Fingerprint, out var since) && since <= f.Since)
            {
                result.Add(f with { Since = since });
            }
            else
            {
                var first = f.Since <= now ? f.Since : now;
                _since[f.Fingerprint] = first;
                result.Add(f with { Since = first });
            }
        }

        foreach (var gone in _since.Keys.Where(k => !live.Contains(k)).ToList())
        {
            _since.Remove(gone);
        }

        return [.. result.OrderByDescending(f => f.Severity).ThenBy(f => f.ZoneId, StringComparer.Ordinal).ThenBy(f => f.Rule, StringComparer.Ordinal)];
    }
}

/// <summary>The result of evaluating one snapshot.</summary>
public sealed record RuleOutcome(Snapshot Snapshot, ImmutableArray<Finding> Findings, ImmutableArray<string> RuleErrors)
{
    /// <summary>
    /// Critical beats everything; otherwise a collector or rule that failed makes the answer unknown
    /// (we could not see), then warning, then ok.
    /// </summary>
    public CheckStatus Status
    {
        get
        {
            if (Findings.Any(f => f.Severity == Severity.Critical))
            {
                return CheckStatus.Critical;
            }

            if (!RuleErrors.IsEmpty || Snapshot.Collectors.Any(c => !c.Success))
            {
                return CheckStatus.Unknown;
            }

            return Findings.Any(f => f.Severity == Severity.Warning) ? CheckStatus.Warning : CheckStatus.Ok;
        }
    }
}
