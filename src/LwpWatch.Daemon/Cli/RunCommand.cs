using LwpWatch.Core.Options;
using LwpWatch.Core.Text;
using LwpWatch.Daemon.Delivery;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Logging;
using LwpWatch.Daemon.Http;
using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Pipeline;
using LwpWatch.Daemon.Systemd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;

namespace LwpWatch.Daemon.Cli;

/// <summary>`lwpwatch run`: the daemon. Invalid config = every error printed, exit 1, nothing started.</summary>
public static class RunCommand
{
    public static async Task<int> ExecuteAsync(CliArgs cli)
    {
        var config = Program.LoadConfig(cli);
        if (!config.IsValid)
        {
            await Console.Error.WriteLineAsync($"lwpwatch run: invalid configuration ({config.Source ?? "defaults"}), not starting:").ConfigureAwait(false);
            foreach (var e in config.Errors)
            {
                await Console.Error.WriteLineAsync($"  {TerminalText.Escape(e)}").ConfigureAwait(false);
            }

            return 1;
        }

        var options = config.Options;
        IReadOnlyDictionary<string, Receiver> receivers;
        string? apiToken;
        try
        {
            // Secrets are read now so a missing one stops the start with a clear message (never the value).
            receivers = Receiver.BuildAll(options.Receivers, options.Alerts, options.Http.Listen);
            apiToken = SecretSource.Read(options.Http.ApiTokenFile, options.Http.ApiTokenEnv, "http.apiToken");
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"lwpwatch run: {TerminalText.Escape(ex.Message)}, not starting").ConfigureAwait(false);
            return 1;
        }

        using var logger = Program.Logging.Create(options.Logging, toStderr: false);
        // For what is built before the host (the evidence recorder); the host's own factory wraps the same logger.
        using var loggers = new Serilog.Extensions.Logging.SerilogLoggerFactory(logger);
        if (cli.Has("until") && !cli.Has("replay"))
        {
            await Console.Error.WriteLineAsync("lwpwatch run: --until needs --replay DIR").ConfigureAwait(false);
            return 1;
        }

        PollPipeline pipeline;
        if (cli.Flag("replay") is { } bundle)
        {
            // A bundle that cannot be replayed exits 3, as check and explain do (issue 13: every malformed bundle).
            var replay = ReplayCli.Prepare(bundle, cli.Flag("until"), options);
            if (replay.Error is not null)
            {
                await Console.Error.WriteLineAsync($"lwpwatch run: {TerminalText.Escape(replay.Error)}").ConfigureAwait(false);
                return 3;
            }

            // Replay every recorded poll first; the daemon then serves the state after the last one (its poll
            // loop re-reads that last poll, on its recorded clock, so nothing changes).
            if (await replay.RunAllAsync(CancellationToken.None).ConfigureAwait(false) is null)
            {
                await Console.Error.WriteLineAsync($"lwpwatch run: {TerminalText.Escape(replay.Error!)}").ConfigureAwait(false);
                return 3;
            }

            pipeline = replay.Pipeline!;
        }
        else
        {
            pipeline = Program.LivePipeline(options);
        }

        if (options.Evidence.Enabled)
        {
            pipeline.Evidence = new Evidence.EvidenceRecorder(
                options.Evidence,
                new Collectors.Evidence.EvidenceGatherer(pipeline.Source, options),
                new Evidence.EvidenceStore(options.State.Dir, options.Evidence, TimeProvider.System),
                loggers.CreateLogger<Evidence.EvidenceRecorder>());
        }

        var app = Build(options, pipeline, logger, [s => DeliveryServices.Add(s, options, receivers), s => OpsServices.Add(s, options, pipeline, () => Program.LoadConfig(cli))], apiToken);
        try
        {
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (IOException ex)
        {
            // Typically the listen address is taken: say so plainly instead of a stack trace.
            app.Logger.StartFailed(ex, ex.Message);
            return 1;
        }
    }

    /// <summary>
    /// The host: Kestrel on the configured (loopback by default) address, the poll loop, observers.
    /// <paramref name="configure"/> lets features (delivery, sd_notify, evidence) add their services.
    /// </summary>
    /// <param name="apiToken">The bearer token for /api (and /metrics when protected); null = open.</param>
    public static WebApplication Build(LwpWatchOptions options, PollPipeline pipeline, Serilog.ILogger logger, IReadOnlyList<Action<IServiceCollection>> configure, string? apiToken = null)
    {
        // Nothing the daemon serves reads the engine's last context (explain is its own process), and keeping it
        // kept the poll before last alive whole until the next poll (~330 KB at 1,000 zones; issue 15).
        pipeline.KeepLastContext = false;
        // The host's own config files (appsettings*.json, none exist: LwpWatch reads YAML) are not watched: with
        // reload on, a FileSystemWatcher covers the working directory and every directory below it (one inotify
        // watch and a managed entry each; from / or a repo checkout, thousands), for files that never exist.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: false);
        builder.WebHost.UseUrls(options.Http.Listen);
        var guard = new ConnectionGuard(ConnectionGuard.DefaultLimit);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The API is read-only: nothing legitimate sends a body, so refuse big ones early.
            k.Limits.MaxRequestBodySize = options.Http.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = options.Http.MaxRequestHeaderBytes;
            k.Limits.MaxRequestLineSize = Math.Min(8 * 1024, options.Http.MaxRequestHeaderBytes);
            // A client that trickles its headers, or idles between requests, gives its connection up soon
            // (Kestrel's defaults are 30 s and 130 s); scrapers connect per scrape or well within 5 s.
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(5);
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(5);
            // The guard keeps at most DefaultLimit open by closing the stalest; this hard cap only backs it up.
            k.Limits.MaxConcurrentConnections = ConnectionGuard.DefaultLimit * 2;
            k.AddServerHeader = false;
            k.ConfigureEndpointDefaults(l =>
            {
                // HTTP/1.1 only: every client (Prometheus, curl, probes) speaks it, and h2c would multiplex
                // 100 streams per connection past the per-connection accounting.
                l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1;
                l.Use(next => connection => guard.OnConnectionAsync(connection, next));
            });
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(pipeline);
        builder.Services.AddSingleton<DaemonState>();
        builder.Services.AddSingleton<IMetricsSource>(Program.Logging);
        builder.Services.AddSingleton<IMetricsSource>(guard);
        builder.Services.AddSingleton<IMetricsSource>(new FailureCounter(
            "lwpwatch_evidence_save_errors_total",
            "Evidence bundles that could not be written (each is logged, event id 1700, and gathered again on the next poll).",
            () => pipeline.Evidence?.SaveFailures ?? 0));
        builder.Services.AddSingleton<MetricsRenderer>();
        builder.Services.AddSingleton(sp => new ScrapeMetrics(sp.GetServices<IMetricsSource>()));
        builder.Services.AddSingleton(new HeapTrimmer(TimeProvider.System, HeapTrimmer.DefaultMinGap));
        builder.Services.AddSingleton<StartupPages>();
        builder.Services.AddSingleton<PollingWorker>();
        foreach (var c in configure)
        {
            c(builder.Services);
        }

        // Registered last, so started last (delivery is up for the first poll) and stopped first: the host
        // stops services in reverse order, and the poll in flight must finish before delivery flushes.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PollingWorker>());

        var app = builder.Build();
        app.Use(guard.OnRequestAsync);
        if (apiToken is not null)
        {
            new BearerAuth(apiToken, options.Http.ProtectMetrics).Use(app);
        }
        else
        {
            new HostCheck(new Uri(options.Http.Listen).Host).Use(app);
        }

        Endpoints.Map(app, app.Services.GetRequiredService<DaemonState>(), options);
        app.Lifetime.ApplicationStarted.Register(() =>
            app.Logger.HttpListening(MetricsRenderer.Version, options.Http.Listen));
        return app;
    }
}
