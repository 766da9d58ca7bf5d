using System.Collections.Immutable;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// Runs every rule on each new snapshot, keeps a bounded window of recent polls (compactly, see
/// <see cref="ZoneHistory"/>) and the previous snapshot whole, and keeps each
/// finding's <see cref="Finding.Since"/> stable while it keeps firing. A rule that throws is reported as a
/// rule error (never takes down the poll).
/// </summary>
/// <param name="sampleWindow">How long zone samples are kept (the daemon passes <see cref="Kept"/>); null: all of <paramref name="historyWindow"/>.</param>
public sealed class RuleEngine(IReadOnlyList<IRule> rules, TimeSpan historyWindow, int maxHistory = 256, TimeSpan? sampleWindow = null)
{
    private readonly Dictionary<string, DateTimeOffset> _since = new(StringComparer.Ordinal);
    private readonly ZoneHistory _history = new(historyWindow, maxHistory, sampleWindow);
    private readonly StuckTracker _stuck = new();
    private Snapshot? _previous;

    public IReadOnlyList<IRule> Rules => rules;

    /// <summary>
    /// How much of each zone's samples the engine keeps: the longest window a rule reads (<see cref="IRule.Lookback"/>),
    /// never more than poll.history (the polls themselves, thin, are kept for all of poll.history). With the defaults
    /// 10 minutes (exhaustion-forecast) of the 30 poll.history allows: at 1,000 zones and a 10 s interval 61 samples per
    /// zone instead of 181 (in buffers of 64 instead of 256), ~7 MB less heap once the daemon has run 30 minutes.
    /// Evidence bundles and explain show the same window of usage.
    /// </summary>
    public static TimeSpan Kept(IEnumerable<IRule> rules, TimeSpan historyWindow)
    {
        var longest = TimeSpan.Zero;
        foreach (var r in rules)
        {
            longest = r.Lookback > longest ? r.Lookback : longest;
        }

        return longest < historyWindow ? longest : historyWindow;
    }

    /// <summary>The kept window; changes on every <see cref="Evaluate"/>.</summary>
    public ZoneHistory History => _history;

    /// <summary>
    /// What the rules saw in the last <see cref="Evaluate"/> (for explain: the same previous poll and window); null when
    /// <see cref="KeepLastContext"/> is off.
    /// </summary>
    public RuleContext? LastContext { get; private set; }

    /// <summary>
    /// Whether <see cref="LastContext"/> outlives <see cref="Evaluate"/> (on by default: explain and tests read it).
    /// The context holds the previous snapshot whole, every zone of the poll before this one, which nothing else keeps
    /// once the poll is evaluated: at 1,000 zones ~330 KB of heap from one poll to the next that `run` never reads.
    /// The daemon turns it off; a rebuilt engine (reload) keeps the setting.
    /// </summary>
    public bool KeepLastContext
    {
        get;
        set
        {
            field = value;
            if (!value)
            {
                LastContext = null;
            }
        }
    } = true;

    /// <summary>
    /// An engine with new rules (a config reload) that keeps what this one knew: the new rules are run over
    /// the kept history in order (rebuilt from its compact form, the last poll as it was), so their per-zone
    /// state (for-durations, counters) is what it would be had they run all along, and findings already firing
    /// keep their original first-seen time.
    /// </summary>
    public RuleEngine Rebuild(IReadOnlyList<IRule> newRules, TimeSpan newHistoryWindow)
    {
        var next = new RuleEngine(newRules, newHistoryWindow, maxHistory, sampleWindow is null ? null : Kept(newRules, newHistoryWindow))
        {
            KeepLastContext = KeepLastContext,
        };
        var replay = _history.Replay().ToList();
        for (var i = 0; i < replay.Count; i++)
        {
            // The last kept poll is the previous snapshot itself: rules see it whole (holders, pressure) as they did.
            next.Evaluate(i == replay.Count - 1 && _previous is { } last && last.TakenAt == replay[i].TakenAt ? last : replay[i]);
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
        var previous = _previous;
        var step = ClockStep(previous, current);
        if (step != TimeSpan.Zero)
        {
            // The wall clock stepped (NTP, an operator, a VM restored): everything remembered moves by the step, so
            // windows, trends, for-durations and first-seen times carry on as if the clock had been right. Rules
            // move their own times through RuleContext.ClockStep. The previous poll is no base for rates any more.
            _history.Shift(step);
            foreach (var (fingerprint, since) in _since.ToList())
            {
                _since[fingerprint] = since + step;
            }

            previous = null;
        }

        _history.Add(current);
        _previous = current;

        // What is stuck is tracked once here, so every rule (and explain) measures the same episodes.
        var ctx = new RuleContext(current, previous, _history) { ClockStep = step, Stuck = _stuck.Update(current, step) };
        LastContext = KeepLastContext ? ctx : null;
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

    /// <summary>A wall-clock step this small is NTP slewing or jitter between reading the two clocks, not a step.</summary>
    public static readonly TimeSpan StepThreshold = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How far the wall clock stepped between two polls beyond the time that passed. With monotonic readings on
    /// both, exactly that, either way. Without (replay, test clocks) only a step back can be seen, and the time that
    /// passed is estimated as the last interval.
    /// </summary>
    private TimeSpan ClockStep(Snapshot? previous, Snapshot current)
    {
        if (previous is null)
        {
            return TimeSpan.Zero;
        }

        var wall = current.TakenAt - previous.TakenAt;
        if (current.Monotonic is { } m1 && previous.Monotonic is { } m0)
        {
            var drift = wall - (m1 - m0);
            return drift.Duration() > StepThreshold ? drift : TimeSpan.Zero;
        }

        return wall < TimeSpan.Zero ? wall - _history.LastInterval : TimeSpan.Zero;
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
    /// <summary>The findings as incidents: each root cause with the symptoms of its zone folded under it (<see cref="Incident.Group"/>).</summary>
    public ImmutableArray<Incident> Incidents => Incident.Group(Findings);

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
