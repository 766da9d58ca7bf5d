using LwpWatch.Core.Options;
using LwpWatch.Core.Output;
using LwpWatch.Daemon.Delivery;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LwpWatch.Daemon.Http;

/// <summary>The daemon's HTTP surface. Every handler serves what the poll loop already computed: no I/O here.</summary>
public static class Endpoints
{
    public static void Map(WebApplication app, DaemonState state, LwpWatchOptions options)
    {
        // Healthy while polls complete; a wedged loop turns /healthz red so a supervisor can act.
        var maxAge = TimeSpan.FromTicks(Math.Max(options.Poll.Interval.Ticks * 3, TimeSpan.FromSeconds(30).Ticks)) + options.Poll.CollectorTimeout;

        // The poll's families from bytes cached once per poll, then the scrape-time ones (delivery, logging, HTTP).
        var scrape = app.Services.GetService<ScrapeMetrics>();
        app.MapGet("/metrics", (HttpContext ctx) => Exposition.WriteAsync(ctx, state.Current?.Metrics ?? RenderedMetrics.Empty, scrape));

        app.MapGet("/healthz", () => state.IsHealthy(maxAge)
            ? Results.Text("ok\n")
            : Results.Text("poll loop stalled\n", statusCode: StatusCodes.Status503ServiceUnavailable));

        app.MapGet("/readyz", () => state.Ready
            ? Results.Text("ready\n")
            : Results.Text("no poll completed yet\n", statusCode: StatusCodes.Status503ServiceUnavailable));

        app.MapGet("/api/v1/zones", () => state.Current is { } c
            ? Results.Text(ApiJson.Zones(c.Result.Outcome), "application/json")
            : NotYet());

        // Alerts with their lifecycle when delivery is wired (run); the active findings otherwise.
        var alerts = app.Services.GetService<AlertPipeline>();
        app.MapGet("/api/v1/alerts", () => alerts is not null && state.Current is not null
            ? Results.Text(AlertsJson.Write(alerts.Current), "application/json")
            : state.Current is { } c
            ? Results.Text(CheckJson.Write(c.Result.Outcome, indented: false, c.Result.EvidenceIds), "application/json")
            : NotYet());

        // Evidence bundles are files in the spool, written by the poll loop; ids are validated before any path is built.
        var evidence = new Evidence.EvidenceStore(options.State.Dir, options.Evidence, TimeProvider.System);
        app.MapGet("/api/v1/evidence/{id}", (string id) => evidence.TryRead(id) is { } json
            ? Results.Text(json, "application/json")
            : Error($"no evidence bundle '{id}'", StatusCodes.Status404NotFound));

        app.MapGet("/api/v1/findings", () => state.Current is { } c
            ? Results.Text(CheckJson.Write(c.Result.Outcome, indented: false, c.Result.EvidenceIds), "application/json")
            : NotYet());
    }

    private static IResult NotYet() => Error("no poll completed yet", StatusCodes.Status503ServiceUnavailable);

    private static IResult Error(string message, int status) => Results.Json(new ApiError(message), HttpJson.Default.ApiError, statusCode: status);
}
