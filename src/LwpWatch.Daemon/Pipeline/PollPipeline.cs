using System.Diagnostics;
using LwpWatch.Collectors;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Pipeline;

/// <summary>
/// collect -> snapshot -> rules, wired from options. Used the same way by `check` (once), `run` (every
/// interval) and replays (once per recorded poll, on the recorded clock). Holds rule state between polls.
/// </summary>
public sealed class PollPipeline
{
    private readonly TimeProvider _clock;
    private readonly string _host;
    private Poller _poller;
    private RuleEngine _engine;
    private LwpWatchOptions? _pending;

    public PollPipeline(LwpWatchOptions options, IHostSource io, TimeProvider clock, string? platform = null, string? host = null)
    {
        Source = io;
        Options = options;
        _clock = clock;
        _host = host ?? Environment.MachineName;
        Platform = platform ?? CollectorFactory.DetectPlatform(options.Poll.Platform, io);
        Collectors = CollectorFactory.Create(Platform, options, io);
        _poller = new Poller(Collectors, clock, _host, Platform, options.Poll.CollectorTimeout);
        Rules = RuleFactory.Create(options.Rules);
        _engine = new RuleEngine(Rules, options.Poll.History, sampleWindow: RuleEngine.Kept(Rules, options.Poll.History));
    }

    public string Platform { get; }

    /// <summary>What the collectors read through (live, capture or replay); evidence gathering uses the same.</summary>
    public IHostSource Source { get; }

    /// <summary>Saves evidence bundles for new critical incidents, off the poll loop (`run` sets it; `check` does not).</summary>
    public Evidence.EvidenceRecorder? Evidence { get; set; }

    /// <summary>
    /// Wait for each poll's evidence before the next poll (replays: the bundle's recorded tool runs belong to the
    /// poll being replayed, and the replay source moves on with the next one). Live polls never wait for it.
    /// </summary>
    public bool AwaitEvidence { get; set; }

    /// <summary>The configuration the collectors and rules currently run with (changes on reload).</summary>
    public LwpWatchOptions Options { get; private set; }

    public IReadOnlyList<ICollector> Collectors { get; private set; }

    public IReadOnlyList<IRule> Rules { get; private set; }

    public IReadOnlyList<string> RuleNames => [.. Rules.Select(r => r.Name)];

    public RuleEngine Engine => _engine;

    /// <summary>Whether the engine keeps its <see cref="RuleEngine.LastContext"/> between polls (explain reads it; the daemon does not).</summary>
    public bool KeepLastContext
    {
        get => _engine.KeepLastContext;
        set => _engine.KeepLastContext = value;
    }

    public async Task<PollResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        ApplyPending();
        var sw = Stopwatch.StartNew();
        var snapshot = await _poller.PollAsync(cancellationToken).ConfigureAwait(false);
        var outcome = _engine.Evaluate(snapshot);
        var evidence = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty;
        if (Evidence is not null)
        {
            // Decided here, gathered and saved beside the poll loop: findings are never rewritten with it.
            evidence = Evidence.Record(outcome, _engine.History, cancellationToken);
            if (AwaitEvidence)
            {
                await Evidence.DrainAsync().ConfigureAwait(false);
            }
        }

        return new PollResult(outcome, sw.Elapsed) { EvidenceIds = evidence };
    }

    /// <summary>
    /// A reloaded configuration (already validated), applied at the start of the next poll on the poll loop
    /// itself, so no poll ever runs half old, half new. The platform stays as detected at start-up.
    /// </summary>
    public void Reconfigure(LwpWatchOptions next) => Volatile.Write(ref _pending, next);

    private void ApplyPending()
    {
        if (Interlocked.Exchange(ref _pending, null) is not { } next)
        {
            return;
        }

        Collectors = CollectorFactory.Create(Platform, next, Source);
        _poller = new Poller(Collectors, _clock, _host, Platform, next.Poll.CollectorTimeout);
        Rules = RuleFactory.Create(next.Rules);
        // Rule state (for-durations, counters, first-seen times) is rebuilt from the kept history, not lost.
        _engine = _engine.Rebuild(Rules, next.Poll.History);
        Options = next;
    }
}

/// <summary>One completed poll and how long it took.</summary>
public sealed record PollResult(RuleOutcome Outcome, TimeSpan Duration)
{
    /// <summary>Finding fingerprint -> id of its evidence bundle (saved or being saved), for the outputs and alerts.</summary>
    public System.Collections.Immutable.ImmutableDictionary<string, string> EvidenceIds { get; init; } = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty;
}
