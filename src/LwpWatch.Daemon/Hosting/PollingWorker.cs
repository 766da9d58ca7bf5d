using LwpWatch.Core.Options;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Logging;
using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Hosting;

/// <summary>
/// The poll loop: collect, evaluate, render metrics once, publish, tell observers. Nothing here waits on
/// logging, delivery or HTTP; a poll slower than the interval skips ticks instead of piling up.
/// </summary>
public sealed class PollingWorker(
    PollPipeline pipeline,
    DaemonState state,
    MetricsRenderer renderer,
    LwpWatchOptions options,
    IEnumerable<IPollObserver> observers,
    HeapTrimmer trimmer,
    StartupPages startupPages,
    ILogger<PollingWorker> log) : BackgroundService
{
    private HashSet<string> _active = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        log.PollLoopStarted(pipeline.Platform, Duration.Format(options.Poll.Interval), pipeline.Collectors.Select(c => c.Name));
        using var timer = new PeriodicTimer(options.Poll.Interval);
        // SIGTERM stops the waiting at once but lets the poll in flight finish (its findings reach the
        // outbox before delivery flushes); only a poll still running FinishPollGrace later is cancelled.
        using var pollCts = new CancellationTokenSource();
        using var stopping = stoppingToken.Register(() => pollCts.CancelAfter(FinishPollGrace));
        do
        {
            await PollOnceAsync(pollCts.Token).ConfigureAwait(false);
            trimmer.AfterPoll();
            startupPages.AfterPoll();
            // A config reload may have changed the interval; PeriodicTimer takes a new period in place.
            if (pipeline.Options.Poll.Interval != timer.Period)
            {
                timer.Period = pipeline.Options.Poll.Interval;
            }
        }
        while (!stoppingToken.IsCancellationRequested && await WaitAsync(timer, stoppingToken).ConfigureAwait(false));

        log.PollLoopStopped();
    }

    /// <summary>How long shutdown waits for the poll in flight; below the host's 10 s shutdown timeout.</summary>
    public static readonly TimeSpan FinishPollGrace = TimeSpan.FromSeconds(8);

    public async Task PollOnceAsync(CancellationToken ct)
    {
        PollResult result;
        try
        {
            result = await pipeline.RunOnceAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            log.PollFailed(ex);
            return;
        }

        RenderedMetrics metrics;
        try
        {
            metrics = renderer.Render(result.Outcome, pipeline.RuleNames, result.Duration);
        }
        catch (Exception ex)
        {
            log.MetricsRenderFailed(ex);
            metrics = state.Current?.Metrics ?? RenderedMetrics.Empty;
        }

        state.Publish(result, metrics);
        foreach (var o in observers)
        {
            try
            {
                o.OnPoll(result);
            }
            catch (Exception ex)
            {
                log.PollObserverFailed(ex, o.GetType().Name);
            }
        }

        Report(result);
    }

    private void Report(PollResult result)
    {
        var outcome = result.Outcome;
        foreach (var c in outcome.Snapshot.Collectors.Where(c => !c.Success))
        {
            log.CollectorFailed(c.Name, c.Error);
        }

        foreach (var e in outcome.RuleErrors)
        {
            log.RuleFailed(e);
        }

        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in outcome.Findings)
        {
            now.Add(f.Fingerprint);
            if (!_active.Contains(f.Fingerprint))
            {
                log.FindingFired(
                    f.Severity == Core.Model.Severity.Critical ? LogLevel.Error : LogLevel.Warning,
                    f.Rule,
                    OutputNames.Severity(f.Severity),
                    f.ZoneId,
                    f.Summary,
                    f.Hints.Render());
            }
        }

        foreach (var gone in _active.Where(a => !now.Contains(a)))
        {
            log.FindingResolved(gone);
        }

        _active = now;
        if (result.Duration > pipeline.Options.Poll.Interval)
        {
            log.PollSlow(result.Duration.TotalSeconds, Duration.Format(pipeline.Options.Poll.Interval));
        }
        else
        {
            log.PollDone(result.Duration.TotalSeconds, outcome.Snapshot.Zones.Length, outcome.Findings.Length, OutputNames.Status(outcome.Status));
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
