using Prometheus;

namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// The scrape-time half of /metrics: a prometheus-net registry for what changes between polls (notifications,
/// the outbox, dropped log events, HTTP connections), read when /metrics is asked, not when the last poll ended.
/// It follows the per-poll families in the same response (<see cref="Exposition"/>).
///
/// To add a counter: take ScrapeMetrics (a singleton in the daemon's services) and call
/// <c>metrics.Counter("lwpwatch_x_total", "What it counts.")</c> once, then <c>.Inc()</c> where it happens; list it in
/// README's metrics table. For a value read from elsewhere, register an <see cref="IMetricsSource"/> that sets it
/// in <see cref="OnScrape"/>.
/// </summary>
public sealed class ScrapeMetrics
{
    /// <summary>
    /// How long one rendering of this half is served again. Measured in process (bench/RESULTS.md, "/metrics on
    /// prometheus-net"): one rendering of these ~30 series costs 90-560 us and 24 KB (a prometheus-net collection, its
    /// before-collect callbacks, the 16 KB buffer of its TextSerializer's BufferedStream), against 0.1-0.2 us for a
    /// cached copy. Rendered per request, bench/scrape's 8,000 req/s would need more CPU than the box has and
    /// 190 MB/s of garbage; with 100 ms it is at most ten renderings a second per format whatever the request rate,
    /// and any real scraper (Prometheus scrapes every few seconds at the most) still sees values read at its scrape,
    /// not at the last poll.
    /// </summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromMilliseconds(100);

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly MetricFactory _factory;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _clock;
    private Cached? _text;
    private Cached? _openMetrics;

    public ScrapeMetrics(IEnumerable<IMetricsSource> sources)
        : this(sources, DefaultMaxAge, TimeProvider.System)
    {
    }

    public ScrapeMetrics(IEnumerable<IMetricsSource> sources, TimeSpan maxAge, TimeProvider clock)
    {
        _maxAge = maxAge;
        _clock = clock;
        _factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        // No trace ids attached to counter increments: nothing here is per request.
        _factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        foreach (var s in sources)
        {
            s.Register(this);
        }
    }

    /// <summary>Registers (or returns the already registered) counter; its name must end in _total.</summary>
    public Counter Counter(string name, string help, params string[] labelNames) =>
        name.EndsWith("_total", StringComparison.Ordinal)
            ? _factory.CreateCounter(name, MetricHelp.Checked(help), labelNames)
            : throw new ArgumentException($"counter {name} must end in _total (OpenMetrics names the family without it)", nameof(name));

    /// <summary>Registers (or returns the already registered) gauge.</summary>
    public Gauge Gauge(string name, string help, params string[] labelNames) =>
        _factory.CreateGauge(name, MetricHelp.Checked(help), labelNames);

    /// <summary>Runs <paramref name="update"/> before every rendering (possibly on several threads at once).</summary>
    public void OnScrape(Action update) => _registry.AddBeforeCollectCallback(update);

    /// <summary>This half in <paramref name="format"/>, read now or at most <see cref="DefaultMaxAge"/> ago.</summary>
    public byte[] Render(ExpositionFormat format)
    {
        ref var slot = ref format == ExpositionFormat.OpenMetricsText ? ref _openMetrics : ref _text;
        var now = _clock.GetTimestamp();
        var c = Volatile.Read(ref slot);
        if (c is not null && _clock.GetElapsedTime(c.At, now) < _maxAge)
        {
            return c.Bytes;
        }

        // Several requests may render at once when the copy expires; each gets a complete one.
        using var ms = new MemoryStream(4096);
        _registry.CollectAndExportAsTextAsync(ms, format).GetAwaiter().GetResult();
        var bytes = ms.ToArray();
        Volatile.Write(ref slot, new Cached(now, bytes));
        return bytes;
    }

    private sealed record Cached(long At, byte[] Bytes);
}
