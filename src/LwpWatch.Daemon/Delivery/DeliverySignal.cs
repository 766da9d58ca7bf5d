namespace LwpWatch.Daemon.Delivery;

/// <summary>Wakes the delivery worker when a poll queued something, so a new alert does not wait for the next tick.</summary>
public sealed class DeliverySignal : IDisposable
{
    private readonly SemaphoreSlim _sem = new(0, 1);

    public void Set()
    {
        try
        {
            _sem.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled; one wake-up is enough.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _sem.WaitAsync(timeout, ct);

    public void Dispose() => _sem.Dispose();
}
