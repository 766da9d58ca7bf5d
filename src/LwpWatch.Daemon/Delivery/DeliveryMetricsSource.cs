using LwpWatch.Daemon.Metrics;

namespace LwpWatch.Daemon.Delivery;

/// <summary>Delivery and outbox metrics in the poll's exposition.</summary>
public sealed class DeliveryMetricsSource(DeliveryMetrics metrics, AlertPipeline alerts, TimeProvider clock) : IMetricsSource
{
    public void Write(PrometheusTextWriter w)
    {
        w.Counter("lwpwatch_notifications_total", "Notification outcomes per receiver: delivered, retry (a failed attempt), rejected, expired, overflow, unknown_receiver, unwritable (could not be written as JSON).");
        foreach (var (receiver, result, value) in metrics.Notifications())
        {
            w.Sample("lwpwatch_notifications_total", value, ("receiver", receiver), ("result", result));
        }

        w.Gauge("lwpwatch_outbox_depth", "Notifications queued in the outbox (on disk and, while the store is failing, in memory).");
        w.Sample("lwpwatch_outbox_depth", metrics.Depth);
        w.Gauge("lwpwatch_outbox_oldest_age_seconds", "Age of the oldest queued notification; 0 when the outbox is empty.");
        w.Sample("lwpwatch_outbox_oldest_age_seconds", Math.Round(metrics.OldestAgeSeconds(clock.GetUtcNow()), 3));
        w.Gauge("lwpwatch_outbox_store_healthy", "1 when the SQLite outbox is writable; 0 while notifications are held in memory only.");
        w.Sample("lwpwatch_outbox_store_healthy", metrics.StoreHealthy ? 1 : 0);
        w.Counter("lwpwatch_outbox_store_errors_total", "SQLite outbox operations that failed (disk full, I/O error).");
        w.Sample("lwpwatch_outbox_store_errors_total", metrics.StoreErrors);
        w.Counter("lwpwatch_alerts_untracked_total", "Findings not tracked as alerts because alerts.maxAlerts was reached.");
        w.Sample("lwpwatch_alerts_untracked_total", alerts.Untracked);
    }
}
