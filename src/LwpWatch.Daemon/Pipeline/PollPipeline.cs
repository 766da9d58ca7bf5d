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
    private readonly Poller _poller;
    private readonly RuleEngine _engine;

    public PollPipeline(LwpWatchOptions options, IHostSource io, TimeProvider clock, string? platform = null, string? host = null)
    {
        Source = io;
        Platform = platform ?? CollectorFactory.DetectPlatform(options.Poll.Platform, io);
        Collectors = CollectorFactory.Create(Platform, options, io);
        _poller = new Poller(Collectors, clock, host ?? Environment.MachineName, Platform, options.Poll.CollectorTimeout);
        Rules = RuleFactory.Create(options.Rules);
        _engine = new RuleEngine(Rules, options.Poll.History);
    }

    public string Platform { get; }

    /// <summary>What the collectors read through (live, capture or replay); evidence gathering uses the same.</summary>
    public IHostSource Source { get; }

    /// <summary>Saves evidence bundles for new critical findings in the poll they fire (`run` sets it; `check` does not).</summary>
    public Evidence.EvidenceRecorder? Evidence { get; set; }

    public IReadOnlyList<ICollector> Collectors { get; }

    public IReadOnlyList<IRule> Rules { get; }

    public IReadOnlyList<string> RuleNames => [.. Rules.Select(r => r.Name)];

    public RuleEngine Engine => _engine;

    public async Task<PollResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var snapshot = await _poller.PollAsync(cancellationToken).ConfigureAwait(false);
        var outcome = _engine.Evaluate(snapshot);
        if (Evidence is not null)
        {
            outcome = await Evidence.AttachAsync(outcome, _engine.History, cancellationToken).ConfigureAwait(false);
        }
        return new PollResult(outcome, sw.Elapsed);
    }
}

/// <summary>One completed poll and how long it took.</summary>
public sealed record PollResult(RuleOutcome Outcome, TimeSpan Duration);
