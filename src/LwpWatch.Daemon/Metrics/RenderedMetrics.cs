using Prometheus;

namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// One poll's half of the exposition. Each format is serialized to UTF-8 on its first request, at most once per
/// poll, on the request's thread, and every later scrape of the poll gets the same bytes. Rendering both eagerly
/// cost the poll loop two ~200 KB buffers on the large object heap at 1,000 zones, every poll, whether anyone
/// scraped or not (Prometheus asks for one format).
/// </summary>
public sealed class RenderedMetrics
{
    private static readonly byte[] Eof = "# EOF\n"u8.ToArray();

    private readonly Lazy<byte[]> _text;
    private readonly Lazy<byte[]> _openMetrics;

    internal RenderedMetrics(MetricsRenderer renderer)
    {
        _text = new(() => renderer.Serialize(ExpositionFormat.PrometheusText));
        _openMetrics = new(() => renderer.Serialize(ExpositionFormat.OpenMetricsText));
    }

    private RenderedMetrics()
    {
        _text = new([]);
        _openMetrics = new(Eof);
    }

    /// <summary>Before the first poll: no families.</summary>
    public static readonly RenderedMetrics Empty = new();

    /// <summary>Prometheus text format 0.0.4, UTF-8.</summary>
    public byte[] TextUtf8 => _text.Value;

    /// <summary>OpenMetrics 1.0.0, UTF-8, ending in "# EOF".</summary>
    public byte[] OpenMetricsUtf8 => _openMetrics.Value;

    /// <summary>The OpenMetrics bytes without the closing "# EOF" line, for more families to follow.</summary>
    public ReadOnlyMemory<byte> OpenMetricsBody
    {
        get
        {
            var b = OpenMetricsUtf8;
            return b.AsSpan().EndsWith(Eof) ? b.AsMemory(0, b.Length - Eof.Length) : b;
        }
    }

    public string Text => System.Text.Encoding.UTF8.GetString(TextUtf8);

    public string OpenMetrics => System.Text.Encoding.UTF8.GetString(OpenMetricsUtf8);
}
