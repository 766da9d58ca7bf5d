using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Delivery;
using Microsoft.Extensions.Logging.Abstractions;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// The real delivery stack in-process (tracker, SQLite outbox, worker, real HttpClient) over a temp state
/// dir that is removed on dispose.
/// </summary>
public sealed class DeliveryHarness : IAsyncDisposable
{
    public static readonly DeliverySettings FastDelivery = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(400),
        Tick = TimeSpan.FromMilliseconds(20),
    };

    private readonly HttpClient _http = HttpSender.CreateClient();
    private readonly bool _ownsDir;

    /// <param name="notifier">Wraps each receiver's real notifier (a test watches the calls made to it).</param>
    public DeliveryHarness(IReadOnlyList<ReceiverSettings> receivers, DeliverySettings? delivery = null, AlertsSettings? alerts = null, string? dir = null, Func<INotifier, INotifier>? notifier = null)
    {
        _ownsDir = dir is null;
        Dir = dir ?? Directory.CreateTempSubdirectory("lwpw-test-").FullName;
        Delivery = delivery ?? FastDelivery;
        Alerts = alerts ?? new AlertsSettings();
        Metrics = new DeliveryMetrics();
        Outbox = new Outbox(Path.Combine(Dir, "outbox.db"), Delivery, Metrics, NullLogger.Instance, TimeProvider.System);
        var built = Receiver.BuildAll(receivers, Alerts, "http://127.0.0.1:9781");
        Receivers = notifier is null ? built : built.ToDictionary(kv => kv.Key, kv => kv.Value with { Notifier = notifier(kv.Value.Notifier) }, StringComparer.Ordinal);
        Tracker = new AlertTracker(Alerts, new AlertRouter(Alerts, receivers));
        Pipeline = new AlertPipeline(Tracker, Outbox, Signal, Metrics, DeliveryServices.HandOffBound(Delivery), NullLogger<AlertPipeline>.Instance);
        Worker = new DeliveryWorker(Outbox, Receivers, new HttpSender(_http), Delivery, Signal, TimeProvider.System, NullLogger<DeliveryWorker>.Instance, Metrics);
    }

    public string Dir { get; }

    public DeliverySettings Delivery { get; }

    public AlertsSettings Alerts { get; }

    public DeliveryMetrics Metrics { get; }

    public Outbox Outbox { get; }

    public IReadOnlyDictionary<string, Receiver> Receivers { get; }

    public AlertTracker Tracker { get; }

    public AlertPipeline Pipeline { get; }

    public DeliverySignal Signal { get; } = new();

    public DeliveryWorker Worker { get; }

    public Task StartAsync() => Worker.StartAsync(CancellationToken.None);

    /// <summary>One "poll" with these findings at <paramref name="now"/>.</summary>
    public AlertUpdate Poll(IEnumerable<Finding> findings, DateTimeOffset? now = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        var snap = new Snapshot { TakenAt = at, Host = "node1", Platform = "linux" };
        var update = Pipeline.Process(new RuleOutcome(snap, [.. findings], []));

        // The daemon's AlertPersister does this on its own loop; tests write at once to stay deterministic.
        Pipeline.PersistPending();
        return update;
    }

    public async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds}s for {what}; outbox depth {Metrics.Depth}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await Worker.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        Worker.Dispose();
        Outbox.Dispose();
        Signal.Dispose();
        _http.Dispose();
        if (_ownsDir)
        {
            Directory.Delete(Dir, recursive: true);
        }
    }
}
