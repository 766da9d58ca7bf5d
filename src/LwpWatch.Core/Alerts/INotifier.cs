namespace LwpWatch.Core.Alerts;

/// <summary>
/// One receiver type. Render is pure (notification + time in, request out) so payloads are golden-tested;
/// the daemon does the HTTP and turns the response into a <see cref="DeliveryResult"/>.
/// </summary>
public interface INotifier
{
    string Type { get; }

    NotifierRequest Render(AlertNotification notification, DateTimeOffset now);
}

/// <summary>
/// A receiver that is several equal members of one cluster (an Alertmanager HA pair): the rendered request is
/// posted to every member. <see cref="NotifierRequest.Url"/> is the first member's; the others get the same body
/// and headers at their own URL.
/// </summary>
public interface IFanOutNotifier : INotifier
{
    IReadOnlyList<Uri> Members { get; }
}

/// <summary>A rendered HTTP POST: JSON body plus any extra headers (signature, idempotency key).</summary>
public sealed record NotifierRequest(Uri Url, string Body, IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>How one attempt went.</summary>
public enum DeliveryOutcome
{
    Delivered = 0,

    /// <summary>Worth retrying: network error, timeout, 5xx, 429, 408.</summary>
    Retry = 1,

    /// <summary>The receiver refused the payload itself (400/413/422): retrying sends the same bytes, so it is dropped.</summary>
    Rejected = 2,
}

public sealed record DeliveryResult(DeliveryOutcome Outcome, string Detail, TimeSpan? RetryAfter = null)
{
    public static DeliveryResult Ok(string detail) => new(DeliveryOutcome.Delivered, detail);
}
