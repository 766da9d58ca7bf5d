using LwpWatch.Daemon.Metrics;

namespace LwpWatch.Daemon.Delivery;

/// <summary>Delivery and outbox metrics, read from <see cref="DeliveryMetrics"/> and the alert pipeline at each scrape.</summary>
public sealed class DeliveryMetricsSource(DeliveryMetrics metrics, AlertPipeline alerts, TimeProvider clock) : IMetricsSource
{
    public void Register(ScrapeMetrics m)
    {
        var notifications = m.Counter("lwpwatch_notifications_total", "Notification outcomes per receiver: delivered, retry (a failed attempt), rejected, expired, overflow, unknown_receiver, unwritable (could not be written as JSON).", "receiver", "result");
        var memberUp = m.Gauge("lwpwatch_receiver_member_up", "Receivers with several members (an Alertmanager cluster): 1 if the last push to this member was accepted, 0 if it failed; absent before the first push.", "receiver", "member");
        var depth = m.Gauge("lwpwatch_outbox_depth", "Notifications queued in the outbox (on disk and, while the store is failing, in memory).");
        var oldest = m.Gauge("lwpwatch_outbox_oldest_age_seconds", "Age of the oldest queued notification; 0 when the outbox is empty.");
        var healthy = m.Gauge("lwpwatch_outbox_store_healthy", "1 when the SQLite outbox is writable; 0 while notifications are held in memory only.");
        var storeErrors = m.Counter("lwpwatch_outbox_store_errors_total", "SQLite outbox operations that failed (disk full, I/O error).");
        var untracked = m.Counter("lwpwatch_alerts_untracked_total", "Findings not tracked as alerts because alerts.maxAlerts was reached.");
        m.OnScrape(() =>
        {
            // The counts live in DeliveryMetrics (lock-free, written by the outbox and the worker); they only grow.
            foreach (var (receiver, result, value) in metrics.Notifications())
            {
                notifications.WithLabels(receiver, result).IncTo(value);
            }

            foreach (var (receiver, member, up) in metrics.MemberUp())
            {
                memberUp.WithLabels(receiver, member).Set(up ? 1 : 0);
            }

            depth.Set(metrics.Depth);
            oldest.Set(Math.Round(metrics.OldestAgeSeconds(clock.GetUtcNow()), 3));
            healthy.Set(metrics.StoreHealthy ? 1 : 0);
            storeErrors.IncTo(metrics.StoreErrors);
            untracked.IncTo(alerts.Untracked);
        });
    }
}
