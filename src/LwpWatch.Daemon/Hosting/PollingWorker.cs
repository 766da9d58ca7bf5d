using LwpWatch.Core.Logging;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
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
    ILogger<PollingWorker> log) : BackgroundService
{
    private HashSet<string> _active = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        log.LogInformation(LogEvents.PollCompleted, "Polling {Platform} every {Interval} with collectors {Collectors}", pipeline.Platform, Duration.Format(options.Poll.Interval), pipeline.Collectors.Select(c => c.Name));
        using var timer = new PeriodicTimer(options.Poll.Interval);
        // SIGTERM stops the waiting at once but lets the poll in flight finish (its findings reach the
        // outbox before delivery flushes); only a poll still running FinishPollGrace later is cancelled.
        using var pollCts = new CancellationTokenSource();
        using var stopping = stoppingToken.Register(() => pollCts.CancelAfter(FinishPollGrace));
        do
        {
            await PollOnceAsync(pollCts.Token).ConfigureAwait(false);
            // A config reload may have changed the interval; PeriodicTimer takes a new period in place.
            if (pipeline.Options.Poll.Interval != timer.Period)
            {
                timer.Period = pipeline.Options.Poll.Interval;
            }
        }
        while (!stoppingToken.IsCancellationRequested && await WaitAsync(timer, stoppingToken).ConfigureAwait(false));

        log.LogInformation(LogEvents.PollCompleted, "Poll loop stopped");
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
            log.LogError(LogEvents.CollectorFailed, ex, "Poll failed");
            return;
        }

        RenderedMetrics metrics;
        try
        {
            metrics = renderer.Render(result.Outcome, pipeline.RuleNames, result.Duration);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Rendering metrics failed; serving the previous exposition");
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
                log.LogError(ex, "Poll observer {Observer} failed", o.GetType().Name);
            }
        }

        Report(result);
    }

    private void Report(PollResult result)
    {
        var outcome = result.Outcome;
        foreach (var c in outcome.Snapshot.Collectors.Where(c => !c.Success))
        {
            log.LogWarning(LogEvents.CollectorFailed, "Collector {Collector} failed: {Error}", c.Name, c.Error);
        }

        foreach (var e in outcome.RuleErrors)
        {
            log.LogError(LogEvents.RuleFailed, "{RuleError}", e);
        }

        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in outcome.Findings)
        {
            now.Add(f.Fingerprint);
            if (!_active.Contains(f.Fingerprint))
            {
                log.Log(
                    f.Severity == Core.Model.Severity.Critical ? LogLevel.Error : LogLevel.Warning,
                    LogEvents.FindingFired,
                    "{Rule} {Severity} in {Zone}: {Summary} Fix: {Hints}",
                    f.Rule,
                    MetricsRenderer.SeverityName(f.Severity),
                    f.ZoneId,
                    f.Summary,
                    f.Hints.Render());
            }
        }

        foreach (var gone in _active.Where(a => !now.Contains(a)))
        {
            log.LogInformation(LogEvents.FindingResolved, "Resolved: {Fingerprint}", gone);
        }

        _active = now;
        if (result.Duration > pipeline.Options.Poll.Interval)
        {
            log.LogWarning(LogEvents.PollSlow, "Poll took {Seconds:0.000}s, longer than the {Interval} interval", result.Duration.TotalSeconds, Duration.Format(pipeline.Options.Poll.Interval));
        }
        else
        {
            log.LogDebug(LogEvents.PollCompleted, "Poll done in {Seconds:0.000}s: {Zones} zones, {Findings} findings, status {Status}", result.Duration.TotalSeconds, outcome.Snapshot.Zones.Length, outcome.Findings.Length, outcome.Status);
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
