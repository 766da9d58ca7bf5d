using Microsoft.Extensions.Hosting;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// Writes what the poll loop handed to <see cref="AlertPipeline"/> into the outbox, on its own loop, so a
/// slow disk delays neither polls nor sends already queued. Flushes once more on shutdown.
/// </summary>
public sealed class AlertPersister(AlertPipeline pipeline) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await pipeline.WaitForPendingAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            pipeline.PersistPending();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        pipeline.PersistPending();
    }
}
