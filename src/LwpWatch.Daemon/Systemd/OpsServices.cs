using LwpWatch.Core.Options;
using LwpWatch.Daemon.Configuration;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Logging;
using LwpWatch.Daemon.Metrics;
using LwpWatch.Daemon.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Systemd;

/// <summary>Registers the service-manager side of `run`: sd_notify + watchdog, and config reload on SIGHUP.</summary>
public static class OpsServices
{
    public static void Add(IServiceCollection services, LwpWatchOptions options, PollPipeline pipeline, Func<ConfigResult> reload)
    {
        var problems = new List<string>();
        var notify = SdNotify.FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessId, problems);
        // A healthy loop completes a poll at least every interval plus one worst-case poll (collectors run one
        // after the other, each bounded by collectorTimeout): only a longer silence stops the watchdog pings.
        var gap = options.Poll.Interval + (options.Poll.CollectorTimeout * Math.Max(1, pipeline.Collectors.Count));
        services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SdNotify));
            foreach (var p in problems)
            {
                log.NotifyEnvironmentProblem(p);
            }

            var lifecycle = new SystemdLifecycle(notify, sp.GetRequiredService<TimeProvider>(), gap, log);
            if (notify is not null)
            {
                log.NotifyEnabled(notify.SocketPath, notify.WatchdogInterval?.ToString() ?? "off", lifecycle.StaleAfter);
            }

            return lifecycle;
        });
        services.AddSingleton<IMetricsSource>(sp =>
        {
            var lifecycle = sp.GetRequiredService<SystemdLifecycle>();
            return new FailureCounter(
                "lwpwatch_systemd_notify_errors_total",
                "sd_notify messages systemd did not get: socket gone or queue full (logged once per run of failures, event id 1602).",
                () => lifecycle.NotifyFailures);
        });
        services.AddSingleton<SystemdService>();
        services.AddSingleton<IPollObserver>(sp => sp.GetRequiredService<SystemdService>());
        services.AddHostedService(sp => sp.GetRequiredService<SystemdService>());
        services.AddSingleton(sp => new ConfigReloader(
            reload,
            options,
            pipeline,
            sp.GetRequiredService<SystemdLifecycle>(),
            sp.GetRequiredService<ILogger<ConfigReloader>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ConfigReloader>());
        services.AddSingleton<IHostedService>(sp => new NotifyDisposer(notify));
    }

    /// <summary>Closes the notify socket when the host is disposed.</summary>
    private sealed class NotifyDisposer(SdNotify? notify) : IHostedService, IDisposable
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() => notify?.Dispose();
    }
}
