using System.Diagnostics;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Collection;

/// <summary>
/// One poll: runs the collectors in order, each under its own timeout, and freezes the result. A collector
/// that throws or times out is recorded as failed and the poll goes on with the others.
/// </summary>
public sealed class Poller(IReadOnlyList<ICollector> collectors, TimeProvider clock, string host, string platform, TimeSpan collectorTimeout)
{
    public IReadOnlyList<ICollector> Collectors => collectors;

    public async Task<Snapshot> PollAsync(CancellationToken cancellationToken)
    {
        // The monotonic reading lets the rules tell a wall-clock step from elapsed time; only the real clock has one
        // that matches its wall time (a replay or test clock would look like a step every poll).
        var draft = new SnapshotDraft
        {
            TakenAt = clock.GetUtcNow(),
            Monotonic = ReferenceEquals(clock, TimeProvider.System) ? Stopwatch.GetElapsedTime(0) : null,
            Host = host,
            Platform = platform,
        };
        foreach (var collector in collectors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(collectorTimeout);
            try
            {
                var contribution = await collector.CollectAsync(draft, cts.Token).WaitAsync(cts.Token).ConfigureAwait(false);
                draft = draft.With(contribution).WithStatus(new CollectorStatus(collector.Name, true, sw.Elapsed));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                draft = draft.WithStatus(new CollectorStatus(collector.Name, false, sw.Elapsed, $"timed out after {collectorTimeout.TotalSeconds:0.###}s"));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                draft = draft.WithStatus(new CollectorStatus(collector.Name, false, sw.Elapsed, ex.Message));
            }
        }

        return draft.Freeze();
    }
}
