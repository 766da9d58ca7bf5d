using LwpWatch.Core.Alerts;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Delivery;

/// <summary>Registers alert tracking and durable delivery in the daemon host.</summary>
public static class DeliveryServices
{
    public const string OutboxFile = "outbox.db";

    /// <summary>
    /// <paramref name="receivers"/> are built beforehand (<see cref="Receiver.BuildAll"/>) so a missing
    /// secret is a start-up error, not a failure deep inside the host.
    /// </summary>
    /// <summary>
    /// The poll-to-outbox hand-off holds more than the outbox itself, so the outbox's own bound (oldest
    /// first, counted) is what normally applies; the hand-off bound only matters when the disk is wedged.
    /// </summary>
    public static int HandOffBound(Core.Options.DeliverySettings d) => Math.Max(d.MaxQueued * 2, 1000);

    public static void Add(IServiceCollection services, LwpWatchOptions options, IReadOnlyDictionary<string, Receiver> receivers)
    {
        services.AddSingleton(receivers);
        services.AddSingleton(_ =>
        {
            var m = new DeliveryMetrics();
            m.Seed(receivers.Keys);
            return m;
        });
        services.AddSingleton<DeliverySignal>();
        services.AddSingleton(sp => new Outbox(
            Path.Combine(options.State.Dir, OutboxFile),
            options.Delivery,
            sp.GetRequiredService<DeliveryMetrics>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<Outbox>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(_ => new AlertTracker(options.Alerts, new AlertRouter(options.Alerts, options.Receivers)));
        services.AddSingleton(sp => new AlertPipeline(
            sp.GetRequiredService<AlertTracker>(),
            sp.GetRequiredService<Outbox>(),
            sp.GetRequiredService<DeliverySignal>(),
            sp.GetRequiredService<DeliveryMetrics>(),
            HandOffBound(options.Delivery),
            sp.GetRequiredService<ILogger<AlertPipeline>>()));
        services.AddSingleton<IPollObserver>(sp => sp.GetRequiredService<AlertPipeline>());
        services.AddSingleton<IMetricsSource, DeliveryMetricsSource>();
        services.AddSingleton(_ => HttpSender.CreateClient());
        services.AddSingleton(sp => new HttpSender(sp.GetRequiredService<HttpClient>()));
        services.AddSingleton(sp => new DeliveryWorker(
            sp.GetRequiredService<Outbox>(),
            receivers,
            sp.GetRequiredService<HttpSender>(),
            options.Delivery,
            sp.GetRequiredService<DeliverySignal>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<DeliveryWorker>>(),
            sp.GetRequiredService<DeliveryMetrics>()));
        services.AddHostedService<AlertPersister>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryWorker>());
    }
}
