namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// A counter for a failure counted where it happens (evidence bundles not saved, sd_notify messages lost): the
/// count lives with the code that fails, which needs no metrics library; this reads it at each scrape.
/// </summary>
public sealed class FailureCounter(string name, string help, Func<long> read) : IMetricsSource
{
    public void Register(ScrapeMetrics metrics)
    {
        var counter = metrics.Counter(name, help);
        metrics.OnScrape(() => counter.IncTo(read()));
    }
}
