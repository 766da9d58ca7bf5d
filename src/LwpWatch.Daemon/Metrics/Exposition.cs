using Microsoft.AspNetCore.Http;
using Prometheus;

namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// /metrics: the format by the Accept header, the way Prometheus' own client library negotiates it
/// (client_golang expfmt.NegotiateIncludingOpenMetrics: media ranges by q, most specific first; the first of
/// text/plain 0.0.4 or application/openmetrics-text 1.0.0/0.0.1, a missing version matching either; else text),
/// except that q=0 means "not acceptable" (RFC 9110 12.4.2), which goautoneg does not skip.
/// The body is the poll's cached bytes followed by the scrape-time families; in OpenMetrics the poll's "# EOF" is
/// left out so the one at the end of the scrape-time half closes the whole exposition.
/// </summary>
public static class Exposition
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    public static string ContentType(ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetricsText ? OpenMetricsContentType : TextContentType;

    public static ExpositionFormat Negotiate(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return ExpositionFormat.PrometheusText;
        }

        var ranges = new List<(string Type, string? Version, double Q, int Specificity, int Order)>();
        var order = 0;
        foreach (var part in accept.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = part.Split(';', StringSplitOptions.TrimEntries);
            var type = fields[0].ToLowerInvariant();
            string? version = null;
            var q = 1.0;
            var valid = true;
            foreach (var p in fields.AsSpan(1))
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    continue;
                }

                var key = p[..eq].Trim();
                var value = p[(eq + 1)..].Trim().Trim('"');
                if (key.Equals("q", StringComparison.OrdinalIgnoreCase))
                {
                    valid = double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out q) && q is >= 0 and <= 1;
                }
                else if (key.Equals("version", StringComparison.OrdinalIgnoreCase))
                {
                    version = value;
                }
            }

            if (valid && q > 0)
            {
                var specificity = type == "*/*" ? 0 : type.EndsWith("/*", StringComparison.Ordinal) ? 1 : 2;
                ranges.Add((type, version, q, specificity, order++));
            }
        }

        foreach (var r in ranges.OrderByDescending(r => r.Q).ThenByDescending(r => r.Specificity).ThenBy(r => r.Order))
        {
            if (r.Type == "text/plain" && (r.Version is null || r.Version == "0.0.4"))
            {
                return ExpositionFormat.PrometheusText;
            }

            if (r.Type == "application/openmetrics-text" && (r.Version is null || r.Version is "1.0.0" or "0.0.1"))
            {
                return ExpositionFormat.OpenMetricsText;
            }
        }

        return ExpositionFormat.PrometheusText;
    }

    /// <summary>The whole exposition as bytes (tests, the CLI); the endpoint writes the two halves without copying.</summary>
    public static byte[] Render(RenderedMetrics poll, ScrapeMetrics? scrape, ExpositionFormat format)
    {
        var (head, tail) = Halves(poll, scrape, format);
        return [.. head.Span, .. tail];
    }

    public static async Task WriteAsync(HttpContext ctx, RenderedMetrics poll, ScrapeMetrics? scrape)
    {
        var format = Negotiate(ctx.Request.Headers.Accept.ToString());
        var (head, tail) = Halves(poll, scrape, format);
        var response = ctx.Response;
        response.ContentType = ContentType(format);
        response.ContentLength = head.Length + tail.Length;
        await WriteSlicedAsync(response.Body, head, ctx.RequestAborted).ConfigureAwait(false);
        await WriteSlicedAsync(response.Body, tail, ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The most one write hands Kestrel (see <see cref="WriteSlicedAsync"/>).</summary>
    internal const int WriteSlice = 16 * 1024;

    /// <summary>
    /// Kestrel copies a whole write into the connection's output pipe before the socket sends any of it, in 4 KB blocks
    /// from the socket transport's pool; the pool keeps what it handed out (it evicts ~1 % per 10 s and the next scrape
    /// takes them again), and there is one pool per IO queue (one per core, up to 16). One ~200 KB write at 1,000 zones
    /// kept ~51 blocks in each pool for good. Written in slices, each write flushed, the pipe holds at most its pause
    /// threshold (MaxResponseBufferSize, 64 KB by default) and a slice: the same bytes, fewer blocks kept.
    /// </summary>
    internal static async Task WriteSlicedAsync(Stream body, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        for (var at = 0; at < bytes.Length; at += WriteSlice)
        {
            await body.WriteAsync(bytes.Slice(at, Math.Min(WriteSlice, bytes.Length - at)), cancellationToken).ConfigureAwait(false);
        }
    }

    private static (ReadOnlyMemory<byte> Head, byte[] Tail) Halves(RenderedMetrics poll, ScrapeMetrics? scrape, ExpositionFormat format)
    {
        if (format == ExpositionFormat.OpenMetricsText)
        {
            return scrape is null ? (poll.OpenMetricsUtf8, []) : (poll.OpenMetricsBody, scrape.Render(format));
        }

        return (poll.TextUtf8, scrape?.Render(format) ?? []);
    }
}
