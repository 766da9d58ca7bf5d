using Prometheus;

namespace LwpWatch.Daemon.Metrics;

/// <summary>
/// One metric family of the per-poll registry, fitted to a snapshot of zones that come and go: every series
/// set during a poll stays, every series not set again is removed from the registry at <see cref="Sweep"/>
/// (a deleted cgroup or a halted zone must vanish from /metrics, not repeat its last value forever; prometheus-net
/// keeps a child until it is removed). A counter fed from a kernel's cumulative count (forkfail_cap, pids.events)
/// that went down was reset (zone rebooted, cgroup recreated): its child is replaced, so the exposition shows the
/// reset as Prometheus expects, where prometheus-net's IncTo would hold the old maximum.
/// Not thread-safe: the renderer calls it under its lock.
/// </summary>
internal sealed class PollFamily
{
    private readonly Gauge? _gauge;
    private readonly Counter? _counter;
    private readonly Dictionary<string[], Series> _series = new(LabelValuesComparer.Instance);
    private readonly List<string[]> _gone = [];
    private int _poll;

    private PollFamily(Gauge? gauge, Counter? counter)
    {
        _gauge = gauge;
        _counter = counter;
    }

    public static PollFamily Gauge(MetricFactory factory, string name, string help, params string[] labels) =>
        new(factory.CreateGauge(name, MetricHelp.Checked(help), labels, new GaugeConfiguration { SuppressInitialValue = true }), null);

    public static PollFamily Counter(MetricFactory factory, string name, string help, params string[] labels) =>
        new(null, factory.CreateCounter(name, MetricHelp.Checked(help), labels, new CounterConfiguration { SuppressInitialValue = true }));

    /// <summary>Starts a poll: what is not <see cref="Set"/> from here to <see cref="Sweep"/> is removed.</summary>
    public void Begin() => _poll++;

    /// <param name="labels">Label values in the family's label order; kept as the series key, so not reused by the caller for other values.</param>
    public void Set(double value, string[] labels)
    {
        if (_series.TryGetValue(labels, out var s))
        {
            s.Poll = _poll;
        }
        else
        {
            s = new Series(_poll);
            _series.Add(labels, s);
        }

        if (_gauge is not null)
        {
            (s.Gauge ??= _gauge.WithLabels(labels)).Set(value);
            return;
        }

        if (s.Counter is { } c && value < c.Value)
        {
            c.Remove();
            s.Counter = null;
        }

        (s.Counter ??= _counter!.WithLabels(labels)).IncTo(value);
    }

    /// <summary>Removes the series not set in this poll.</summary>
    public void Sweep()
    {
        foreach (var (labels, s) in _series)
        {
            if (s.Poll != _poll)
            {
                _gone.Add(labels);
                ((ChildBase?)s.Gauge ?? s.Counter)?.Remove();
            }
        }

        foreach (var labels in _gone)
        {
            _series.Remove(labels);
        }

        _gone.Clear();
    }

    public int Count => _series.Count;

    private sealed class Series(int poll)
    {
        public int Poll { get; set; } = poll;

        public Gauge.Child? Gauge { get; set; }

        public Counter.Child? Counter { get; set; }
    }

    private sealed class LabelValuesComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelValuesComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y.AsSpan());

        public int GetHashCode(string[] obj)
        {
            var h = new HashCode();
            foreach (var s in obj)
            {
                h.Add(s, StringComparer.Ordinal);
            }

            return h.ToHashCode();
        }
    }
}
