using LwpWatch.Core.Alerts;

namespace LwpWatch.Daemon.Delivery;

/// <summary>How one member of a fanned-out receiver answered one attempt.</summary>
public sealed record MemberResult(Uri Member, DeliveryResult Result)
{
    /// <summary>The member as a metric label and in logs: scheme, host, port and path, never a query or user-info.</summary>
    public string Label => Member.GetLeftPart(UriPartial.Path);
}

/// <summary>
/// Posts one rendered request to every member of an Alertmanager cluster at once, each under the receiver's
/// timeout, and decides what the attempt was for the outbox row.
/// </summary>
public sealed class FanOutSender(HttpSender sender)
{
    public async Task<(DeliveryResult Combined, IReadOnlyList<MemberResult> Members)> SendAsync(
        NotifierRequest request, IReadOnlyList<Uri> members, TimeSpan timeout, DateTimeOffset now, CancellationToken ct)
    {
        // In parallel: a member that hangs until the timeout must not delay the push to the one that is up.
        var sends = members.Select(async m => new MemberResult(m, await sender.SendAsync(request with { Url = m }, timeout, now, ct).ConfigureAwait(false))).ToList();
        var results = await Task.WhenAll(sends).ConfigureAwait(false);
        return (Combine(results), results);
    }

    /// <summary>
    /// One member's acceptance delivers the row. Why that is enough, and never loses an accepted alert:
    /// Alertmanager clusters gossip their notification log, not alerts, so the member that accepted it notifies
    /// (once: its peers see the log entry and stay quiet). A member that missed it, because it was down or timed
    /// out, gets it on the next push without any retry of this row: a firing alert is re-pushed to every member
    /// every repeat interval (alertmanager receivers: 1m), and a resolve is re-pushed the same way while the
    /// resolved alert is retained (alerts.resolvedRetention, 15m, as Prometheus's resolvedRetention). The
    /// resolve matters most: a member still holding the alert as firing after its peer notified the resolve
    /// would page it as new (Alertmanager's DedupStage.needsUpdate: firing not a subset of the logged entry).
    /// A member that restarted has no alerts (Alertmanager keeps them in memory), so it cannot page a stale one.
    /// Retrying the row until every member took it would instead pause the whole receiver on a dead member
    /// (the worker backs off a failing receiver) and delay the live member's next alerts.
    /// No member accepted: retried with backoff like any receiver; all of them refused the payload itself: rejected.
    /// </summary>
    public static DeliveryResult Combine(IReadOnlyList<MemberResult> results)
    {
        var accepted = results.Count(r => r.Result.Outcome == DeliveryOutcome.Delivered);
        var detail = string.Join("; ", results.Select(r => $"{r.Label}: {r.Result.Detail}"));
        if (accepted > 0)
        {
            return DeliveryResult.Ok($"{accepted} of {results.Count} members accepted ({detail})");
        }

        if (results.All(r => r.Result.Outcome == DeliveryOutcome.Rejected))
        {
            return new DeliveryResult(DeliveryOutcome.Rejected, $"every member rejected it ({detail})");
        }

        // Retry-After only when every retrying member asked for one: the shortest, so no member is waited on longer than it asked.
        var retrying = results.Where(r => r.Result.Outcome == DeliveryOutcome.Retry).ToList();
        TimeSpan? after = retrying.All(r => r.Result.RetryAfter is not null) ? retrying.Min(r => r.Result.RetryAfter) : null;
        return new DeliveryResult(DeliveryOutcome.Retry, $"no member accepted it ({detail})", after);
    }
}
