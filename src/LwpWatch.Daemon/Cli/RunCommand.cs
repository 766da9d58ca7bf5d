using LwpWatch.Core.Logging;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Delivery;
using LwpWatch.Daemon.Hosting;
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
using LwpWatch.Core.Text;

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
            pipeline.Evidence = new Evidence.EvidenceRecorder(options.Evidence, new Collectors.Evidence.EvidenceGatherer(pipeline.Source, options), new Evidence.EvidenceStore(options.State.Dir, options.Evidence, TimeProvider.System));
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
            logger.Fatal(ex, "Cannot start: {Message}", ex.Message);
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
        // The host's own config files (appsettings*.json, none exist: LwpWatch reads YAML) are not watched: with
        // reload on, a FileSystemWatcher covers the working directory and every directory below it (one inotify
        // watch and a managed entry each; from / or a repo checkout, thousands), for files that never exist.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: false);
        builder.WebHost.UseUrls(options.Http.Listen);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The API is read-only: nothing legitimate sends a body, so refuse big ones early.
            k.Limits.MaxRequestBodySize = options.Http.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = options.Http.MaxRequestHeaderBytes;
            k.Limits.MaxRequestLineSize = Math.Min(8 * 1024, options.Http.MaxRequestHeaderBytes);
            // A client that trickles its headers cannot hold a connection (and a thread's worth of state) forever.
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            k.Limits.MaxConcurrentConnections = 256;
            k.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(pipeline);
        builder.Services.AddSingleton<DaemonState>();
        builder.Services.AddSingleton<IMetricsSource>(Program.Logging);
        builder.Services.AddSingleton<MetricsRenderer>();
        builder.Services.AddSingleton<PollingWorker>();
        foreach (var c in configure)
        {
            c(builder.Services);
        }

        // Registered last, so started last (delivery is up for the first poll) and stopped first: the host
        // stops services in reverse order, and the poll in flight must finish before delivery flushes.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PollingWorker>());

        var app = builder.Build();
        if (apiToken is not null)
        {
            new BearerAuth(apiToken, options.Http.ProtectMetrics).Use(app);
        }

        Endpoints.Map(app, app.Services.GetRequiredService<DaemonState>(), options);
        app.Lifetime.ApplicationStarted.Register(() =>
            app.Logger.LogInformation(LogEvents.HttpListening, "LwpWatch {Version} listening on {Listen}", MetricsRenderer.Version, options.Http.Listen));
        return app;
    }
}
