namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// Anything besides the snapshot that has metrics to expose (delivery outbox, logging). Called once per poll
/// when the exposition is rendered; must be cheap and must not block.
/// </summary>
public interface IMetricsSource
{
    void Write(PrometheusTextWriter writer);
}
