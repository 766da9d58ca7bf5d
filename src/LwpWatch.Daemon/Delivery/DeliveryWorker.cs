using LwpWatch.Core.Alerts;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// Drains the outbox on its own loop, apart from polling: each receiver has at most one send in flight,
/// receivers are served in parallel, and every attempt is bounded by the receiver's timeout, so a slow or
/// dead receiver delays only its own notifications. A failed attempt backs off that row (exponential with
/// jitter, or the receiver's Retry-After) and pauses that receiver for the same delay.
/// </summary>
public sealed class DeliveryWorker(
    Outbox outbox,
    IReadOnlyDictionary<string, Receiver> receivers,
    HttpSender sender,
    DeliverySettings settings,
    DeliverySignal signal,
    TimeProvider clock,
    ILogger<DeliveryWorker> log,
    DeliveryMetrics? metrics = null) : BackgroundService
{
    private readonly FanOutSender _fanOut = new(sender);

    /// <summary>
    /// How long an idle worker (empty outbox, nothing in flight) sleeps unless signalled. New notifications
    /// signal it at once; this only bounds how late expiry and store recovery checks can run.
    /// </summary>
    public static readonly TimeSpan IdleWake = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Task> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _pausedUntil = new(StringComparer.Ordinal);

    /// <summary>One pass: start sends for every idle receiver with due rows. Public for tests that step it.</summary>
    public void Dispatch(CancellationToken ct)
    {
        outbox.Maintain();
        foreach (var done in _inFlight.Where(kv => kv.Value.IsCompleted).Select(kv => kv.Key).ToList())
        {
            _inFlight.Remove(done);
        }

        var now = clock.GetUtcNow();

        // Per receiver, so a dead receiver's backlog can never crowd another receiver out of a pass.
        foreach (var (name, receiver) in receivers)
        {
            if (_inFlight.ContainsKey(name) || Paused(name, now))
            {
                continue;
            }

            var rows = outbox.Due(name, settings.BatchSize);
            if (rows.Count > 0)
            {
                _inFlight[name] = Task.Run(() => SendBatchAsync(receiver, [.. rows], ct), CancellationToken.None);
            }
        }
    }

    private bool Paused(string receiver, DateTimeOffset now)
    {
        lock (_pausedUntil)
        {
            return _pausedUntil.TryGetValue(receiver, out var until) && now < until;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Rows still in flight stay queued in the store and are sent after the restart.
            await Task.WhenAll(_inFlight.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        outbox.DropUnknownReceivers(receivers.Keys.ToHashSet(StringComparer.Ordinal));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Dispatch(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Never let one bad pass end delivery for good.
                log.DeliveryPassFailed(ex);
            }

            try
            {
                var idle = _inFlight.Count == 0 && outbox.Idle;
                await signal.WaitAsync(idle ? IdleWake : settings.Tick, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Every member at once; the row is delivered when one accepted it (<see cref="FanOutSender.Combine"/> says why
    /// that loses nothing). A member that missed it while another took it is logged and shown as
    /// lwpwatch_receiver_member_up 0, so a dead half of an HA pair does not go unnoticed.
    /// </summary>
    private async Task<DeliveryResult> SendToMembersAsync(Receiver receiver, IReadOnlyList<Uri> members, NotifierRequest request, OutboxRow row, DateTimeOffset now, CancellationToken ct)
    {
        var (combined, results) = await _fanOut.SendAsync(request, members, receiver.Settings.Timeout, now, ct).ConfigureAwait(false);
        foreach (var m in results)
        {
            var up = m.Result.Outcome == DeliveryOutcome.Delivered;
            metrics?.SetMemberUp(receiver.Name, m.Label, up);
            if (!up && combined.Outcome == DeliveryOutcome.Delivered)
            {
                log.MemberMissed(m.Label, receiver.Name, row.Status, row.Key, m.Result.Detail);
            }
        }

        return combined;
    }

    private async Task SendBatchAsync(Receiver receiver, List<OutboxRow> rows, CancellationToken ct)
    {
        foreach (var row in rows)
        {
            if (ct.IsCancellationRequested)
            {
                return;
            }

            var now = clock.GetUtcNow();
            DeliveryResult result;
            AlertNotification? n = null;
            try
            {
                n = row.Notification();
                var request = receiver.Notifier.Render(n, now);
                result = receiver.Notifier is IFanOutNotifier { Members.Count: > 1 } cluster
                    ? await SendToMembersAsync(receiver, cluster.Members, request, row, now, ct).ConfigureAwait(false)
                    : await sender.SendAsync(request, receiver.Settings.Timeout, now, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (System.Text.Json.JsonException ex)
            {
                result = new DeliveryResult(DeliveryOutcome.Rejected, "unreadable outbox row: " + ex.Message);
            }

            switch (result.Outcome)
            {
                case DeliveryOutcome.Delivered:
                    outbox.Delivered(row);
                    lock (_pausedUntil)
                    {
                        _pausedUntil.Remove(receiver.Name);
                    }

                    log.NotificationSent(row.Status, row.Key, receiver.Name, result.Detail, row.Attempts + 1);
                    break;
                case DeliveryOutcome.Rejected:
                    outbox.Drop(row, DeliveryMetrics.Rejected);
                    log.NotificationRejected(receiver.Name, row.Status, row.Key, result.Detail);
                    break;
                default:
                    var delay = Backoff.Delay(row.Attempts + 1, settings, Random.Shared.NextDouble());
                    if (result.RetryAfter is { } ra && ra > delay)
                    {
                        delay = ra;
                    }

                    var next = clock.GetUtcNow() + delay;
                    outbox.Failed(row, next, result.Detail);
                    lock (_pausedUntil)
                    {
                        _pausedUntil[receiver.Name] = next;
                    }

                    log.NotificationRetry(row.Status, row.Key, receiver.Name, result.Detail, row.Attempts + 1, delay);

                    // The receiver is failing: leave the rest of the batch for after the pause.
                    return;
            }
        }
    }
}
