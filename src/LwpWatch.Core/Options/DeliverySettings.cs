namespace LwpWatch.Core.Options;

/// <summary>delivery: the durable outbox between the alert tracker and the receivers.</summary>
public sealed record DeliverySettings
{
    /// <summary>Notifications older than this are dropped (logged and counted as expired): a day-old page helps nobody.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Bound on queued notifications; beyond it the oldest are dropped (logged and counted as overflow).</summary>
    public int MaxQueued { get; init; } = 10_000;

    /// <summary>First retry delay; doubles per failed attempt up to maxBackoff.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Each delay is randomised by +/- this fraction, so many nodes do not retry in lock-step.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>How often the worker looks for due notifications when nothing new was queued.</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Notifications sent per receiver per tick at most (a backlog drains in batches, one receiver never starves the others).</summary>
    public int BatchSize { get; init; } = 50;

    public IEnumerable<string> Validate(string path)
    {
        if (MaxAge < TimeSpan.FromSeconds(10))
        {
            yield return $"{path}.maxAge: must be at least 10s, got {MaxAge}";
        }

        if (MaxQueued is < 10 or > 10_000_000)
        {
            yield return $"{path}.maxQueued: must be in [10, 10000000], got {MaxQueued}";
        }

        if (InitialBackoff <= TimeSpan.Zero)
        {
            yield return $"{path}.initialBackoff: must be positive";
        }

        if (MaxBackoff < InitialBackoff)
        {
            yield return $"{path}.maxBackoff: must be >= initialBackoff";
        }

        if (Jitter is < 0 or >= 1)
        {
            yield return $"{path}.jitter: must be in [0, 1), got {Jitter}";
        }

        if (Tick < TimeSpan.FromMilliseconds(10) || Tick > TimeSpan.FromMinutes(1))
        {
            yield return $"{path}.tick: must be in [10ms, 1m], got {Tick}";
        }

        if (BatchSize is < 1 or > 10_000)
        {
            yield return $"{path}.batchSize: must be in [1, 10000], got {BatchSize}";
        }
    }
}
