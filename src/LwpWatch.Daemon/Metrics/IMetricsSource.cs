namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// Something besides the poll that has metrics to expose (delivery outbox, logging, HTTP): it registers its
/// families once and, through <see cref="ScrapeMetrics.OnScrape"/>, sets them from its state at each scrape.
/// The callback runs on the scrape's thread: it must be cheap and must not block.
/// </summary>
public interface IMetricsSource
{
    void Register(ScrapeMetrics metrics);
}
