using System.Collections.Concurrent;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// Delivery counters and gauges, updated by the outbox and the worker, read by the metrics endpoint.
/// Lock-free reads: a scrape never waits on a delivery.
/// </summary>
public sealed class DeliveryMetrics
{
    public const string Delivered = "delivered";
    public const string Retry = "retry";
    public const string Rejected = "rejected";
    public const string Expired = "expired";
    public const string Overflow = "overflow";
    public const string UnknownReceiver = "unknown_receiver";
    public const string Unwritable = "unwritable";

    private readonly ConcurrentDictionary<(string Receiver, string Result), long> _notifications = new();
    private readonly ConcurrentDictionary<(string Receiver, string Member), bool> _memberUp = new();
    private long _storeErrors;
    private volatile int _depth;
    private long _oldestMs = -1;
    private volatile bool _storeHealthy = true;

    /// <summary>Starts each receiver's main outcomes at 0, so rate() works from the first failure on.</summary>
    public void Seed(IEnumerable<string> receivers)
    {
        foreach (var r in receivers)
        {
            foreach (var result in (string[])[Delivered, Retry, Rejected, Expired, Overflow])
            {
                _notifications.TryAdd((r, result), 0);
            }
        }
    }

    public void Count(string receiver, string result) => _notifications.AddOrUpdate((receiver, result), 1, (_, v) => v + 1);

    /// <summary>Whether the last attempt to this member of a multi-member (Alertmanager cluster) receiver was accepted.</summary>
    public void SetMemberUp(string receiver, string member, bool up) => _memberUp[(receiver, member)] = up;

    public IReadOnlyList<(string Receiver, string Member, bool Up)> MemberUp() =>
        [.. _memberUp.Select(kv => (kv.Key.Receiver, kv.Key.Member, kv.Value))
            .OrderBy(x => x.Receiver, StringComparer.Ordinal).ThenBy(x => x.Member, StringComparer.Ordinal)];

    public void StoreError() => Interlocked.Increment(ref _storeErrors);

    public void SetStoreHealthy(bool healthy) => _storeHealthy = healthy;

    public void SetQueue(int depth, long? oldestMs)
    {
        _depth = depth;
        Interlocked.Exchange(ref _oldestMs, oldestMs ?? -1);
    }

    /// <summary>Every receiver/result seen so far, sorted so the exposition is stable.</summary>
    public IReadOnlyList<(string Receiver, string Result, long Value)> Notifications() =>
        [.. _notifications.Select(kv => (kv.Key.Receiver, kv.Key.Result, kv.Value))
            .OrderBy(x => x.Receiver, StringComparer.Ordinal).ThenBy(x => x.Result, StringComparer.Ordinal)];

    public long Get(string receiver, string result) => _notifications.GetValueOrDefault((receiver, result));

    public int Depth => _depth;

    public bool StoreHealthy => _storeHealthy;

    public long StoreErrors => Interlocked.Read(ref _storeErrors);

    /// <summary>Age of the oldest queued notification at <paramref name="now"/>; 0 when the queue is empty.</summary>
    public double OldestAgeSeconds(DateTimeOffset now)
    {
        var oldest = Interlocked.Read(ref _oldestMs);
        return oldest < 0 ? 0 : Math.Max(0, (now.ToUnixTimeMilliseconds() - oldest) / 1000.0);
    }
}
