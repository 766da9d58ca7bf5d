using LwpWatch.Daemon.Metrics;
using Prometheus;

namespace LwpWatch.Daemon.Tests.Metrics;

public sealed class ScrapeMetricsTests
{
    private sealed class Source(Func<long> read) : IMetricsSource
    {
        public void Register(ScrapeMetrics metrics)
        {
            var c = metrics.Counter("lwpwatch_test_reads_total", "Reads.");
            metrics.OnScrape(() => c.IncTo(read()));
        }
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    private static string Text(ScrapeMetrics m) => System.Text.Encoding.UTF8.GetString(m.Render(ExpositionFormat.PrometheusText));

    [Fact]
    public void A_source_is_read_at_each_rendering_not_once()
    {
        long value = 1;
        var m = new ScrapeMetrics([new Source(() => Interlocked.Read(ref value))], TimeSpan.Zero, TimeProvider.System);
        Assert.Contains("\nlwpwatch_test_reads_total 1\n", Text(m), StringComparison.Ordinal);
        Interlocked.Exchange(ref value, 42);
        Assert.Contains("\nlwpwatch_test_reads_total 42\n", Text(m), StringComparison.Ordinal);
    }

    [Fact]
    public void Within_the_max_age_the_same_rendering_is_served_and_after_it_a_fresh_one()
    {
        long value = 1;
        var clock = new ManualClock();
        var m = new ScrapeMetrics([new Source(() => Interlocked.Read(ref value))], TimeSpan.FromMilliseconds(100), clock);
        var first = m.Render(ExpositionFormat.PrometheusText);
        Interlocked.Exchange(ref value, 2);
        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Same(first, m.Render(ExpositionFormat.PrometheusText));
        // Each format has its own copy.
        Assert.Contains("lwpwatch_test_reads_total 2.0\n", System.Text.Encoding.UTF8.GetString(m.Render(ExpositionFormat.OpenMetricsText)), StringComparison.Ordinal);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Contains("\nlwpwatch_test_reads_total 2\n", Text(m), StringComparison.Ordinal);
    }

    [Fact]
    public void A_counter_must_end_in_total_and_help_must_be_one_plain_line()
    {
        var m = new ScrapeMetrics([]);
        Assert.Throws<ArgumentException>(() => m.Counter("lwpwatch_failures", "h"));
        Assert.Throws<ArgumentException>(() => m.Gauge("lwpwatch_g", "two\nlines"));
        Assert.Throws<ArgumentException>(() => m.Gauge("lwpwatch_g", "back\\slash"));
        // Registering the same counter twice gives the same one (one line where it is used, no registry plumbing).
        Assert.Same(m.Counter("lwpwatch_x_total", "X."), m.Counter("lwpwatch_x_total", "X."));
    }
}
