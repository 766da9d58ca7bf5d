using System.Collections.Immutable;
using System.Runtime.InteropServices;
using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>
/// What the rules remember of recent polls, kept compact: per zone a contiguous run of <see cref="ZoneSample"/>s
/// (time, usage, cap, denials, memory failures), and per poll a thin frame (the snapshot without its zones and
/// holders, and with only the services in transition). Whole snapshots per poll made memory grow with zones x
/// polls (35 MB of managed heap after 10 minutes at 1,000 zones) and made every window rule walk every snapshot
/// and look each zone up again (exhaustion-forecast was half of the daemon's CPU); a zone's series is now one
/// dictionary lookup and a span.
/// Owned by one <see cref="RuleEngine"/> and changed only by it, between rule evaluations.
/// Zone samples may be kept for less time than polls (<paramref name="samples"/>, at most <paramref name="window"/>): the
/// per-poll frames are small and carry what a reload needs to rebuild how long services have been stuck; the samples
/// are what grows with zones x polls, and only the rules' own windows read them.
/// </summary>
public sealed class ZoneHistory(TimeSpan window, int maxPolls = 256, TimeSpan? samples = null)
{
    private readonly TimeSpan _sampleWindow = samples is { } s && s < window ? s : window;
    private readonly Dictionary<string, Track> _tracks = new(StringComparer.Ordinal);
    private readonly List<Snapshot> _frames = [];

    /// <summary>Polls kept, the current one included.</summary>
    public int Polls => _frames.Count;

    /// <summary>Time of the oldest poll kept; null when empty.</summary>
    public DateTimeOffset? FirstAt => _frames.Count == 0 ? null : _frames[0].TakenAt;

    /// <summary>Zones with at least one sample kept.</summary>
    public int Zones => _tracks.Count;

    /// <summary>A history holding exactly these polls (oldest first), as an engine that saw them would.</summary>
    public static ZoneHistory Of(IEnumerable<Snapshot> polls, TimeSpan window, int maxPolls = 256)
    {
        var h = new ZoneHistory(window, maxPolls);
        foreach (var p in polls)
        {
            h.Add(p);
        }

        return h;
    }

    /// <summary>
    /// Appends one poll and forgets what fell out of the window (or beyond <c>maxPolls</c>). A poll older than the
    /// last one means the wall clock jumped back: durations against older samples would be negative, so the
    /// history starts again from this poll.
    /// </summary>
    public void Add(Snapshot current)
    {
        if (_frames.Count > 0 && current.TakenAt < _frames[^1].TakenAt)
        {
            Clear();
        }

        // A window longer than all time (tests, one-off contexts) keeps everything instead of overflowing.
        var cutoff = current.TakenAt - DateTimeOffset.MinValue > window ? current.TakenAt - window : DateTimeOffset.MinValue;
        var drop = 0;
        while (drop < _frames.Count && (_frames[drop].TakenAt < cutoff || _frames.Count - drop >= maxPolls))
        {
            drop++;
        }

        _frames.RemoveRange(0, drop);
        _frames.Add(Thin(current));
        var oldestKept = _frames[0].TakenAt.UtcTicks;
        if (current.TakenAt - DateTimeOffset.MinValue > _sampleWindow && (current.TakenAt - _sampleWindow).UtcTicks > oldestKept)
        {
            oldestKept = (current.TakenAt - _sampleWindow).UtcTicks;
        }

        foreach (var zone in current.Zones)
        {
            ref var track = ref CollectionsMarshal.GetValueRefOrAddDefault(_tracks, zone.Id, out _);
            track ??= new Track();
            track.Append(new ZoneSample(current.TakenAt, zone.Lwps, zone.LwpLimit, zone.Denials, zone.Pressure?.MemoryFailures), maxPolls);
            track.Last = zone;
        }

        List<string>? empty = null;
        foreach (var (id, track) in _tracks)
        {
            if (track.DropBefore(oldestKept) == 0)
            {
                (empty ??= []).Add(id);
            }
        }

        if (empty is not null)
        {
            foreach (var id in empty)
            {
                _tracks.Remove(id);
            }
        }
    }

    /// <summary>
    /// The time between the last two polls kept (at least a second): how much time really passed across a clock
    /// step, as best the history can tell.
    /// </summary>
    public TimeSpan LastInterval
    {
        get
        {
            var d = _frames.Count >= 2 ? _frames[^1].TakenAt - _frames[^2].TakenAt : TimeSpan.Zero;
            return d > TimeSpan.FromSeconds(1) ? d : TimeSpan.FromSeconds(1);
        }
    }

    /// <summary>
    /// Moves every kept poll and sample by <paramref name="step"/> (a backward clock step), so windows, trends and
    /// counters carry on across it instead of starting again: clearing made exhaustion-forecast resolve and re-fire
    /// and turned denials in a window into "since start".
    /// </summary>
    public void Shift(TimeSpan step)
    {
        for (var i = 0; i < _frames.Count; i++)
        {
            _frames[i] = _frames[i] with { TakenAt = _frames[i].TakenAt + step };
        }

        foreach (var track in _tracks.Values)
        {
            track.Shift(step.Ticks);
        }
    }

    public void Clear()
    {
        _frames.Clear();
        _tracks.Clear();
    }

    /// <summary>A zone's samples, oldest first, the current poll's last when the zone was in it. Valid until the next <see cref="Add"/>.</summary>
    public ReadOnlySpan<ZoneSample> Of(string zoneId) =>
        _tracks.TryGetValue(zoneId, out var t) ? t.Samples : [];

    /// <summary>
    /// The kept polls rebuilt as snapshots, oldest first, for a config reload to run new rules over: each zone as it
    /// last looked with that poll's counters. Holders, pressure other than memory failures and services not in
    /// transition are not kept, so rules see less than they did live; the state they build (for-durations,
    /// transitions, counters) depends only on what is kept.
    /// </summary>
    public IEnumerable<Snapshot> Replay()
    {
        var cursors = _tracks.Values.Select(t => (Track: t, Next: 0)).ToArray();
        foreach (var frame in _frames)
        {
            var ticks = frame.TakenAt.UtcTicks;
            var zones = ImmutableArray.CreateBuilder<Zone>();
            for (var i = 0; i < cursors.Length; i++)
            {
                var samples = cursors[i].Track.Samples;
                var j = cursors[i].Next;
                while (j < samples.Length && samples[j].TicksUtc < ticks)
                {
                    j++;
                }

                cursors[i].Next = j;
                if (j < samples.Length && samples[j].TicksUtc == ticks)
                {
                    var s = samples[j];
                    cursors[i].Next = j + 1; // two polls stamped alike each get their own sample
                    zones.Add(cursors[i].Track.Last! with
                    {
                        Lwps = s.Lwps,
                        LwpLimit = s.LwpLimit,
                        Denials = s.Denials,
                        Pressure = s.MemoryFailures is { } m ? new ZonePressure { MemoryFailures = m } : null,
                    });
                }
            }

            yield return frame with { Zones = zones.ToImmutable() };
        }
    }

    private static Snapshot Thin(Snapshot s)
    {
        var inTransition = true;
        foreach (var sv in s.Services)
        {
            inTransition &= sv.InTransition;
        }

        return s with
        {
            Zones = [],
            TopHolders = [],
            Services = inTransition ? s.Services : [.. s.Services.Where(sv => sv.InTransition)],
        };
    }

    /// <summary>One zone's samples in a contiguous buffer: appends at the end, drops from the front, compacts rarely.</summary>
    private sealed class Track
    {
        private ZoneSample[] _items = new ZoneSample[4];
        private int _start;
        private int _count;

        /// <summary>The zone as last seen (identity fields for replay).</summary>
        public Zone? Last { get; set; }

        public ReadOnlySpan<ZoneSample> Samples => _items.AsSpan(_start, _count);

        public void Append(ZoneSample sample, int max)
        {
            if (_count >= max)
            {
                _start++;
                _count--;
            }

            if (_start + _count == _items.Length)
            {
                if (_start > 0)
                {
                    Array.Copy(_items, _start, _items, 0, _count);
                    _start = 0;
                }
                else
                {
                    Array.Resize(ref _items, Math.Min(Math.Max(_items.Length * 2, 4), Math.Max(max, 4)));
                }
            }

            _items[_start + _count] = sample;
            _count++;
        }

        public void Shift(long ticks)
        {
            for (var i = _start; i < _start + _count; i++)
            {
                _items[i] = _items[i].Shifted(ticks);
            }
        }

        /// <summary>Drops samples older than the given time; returns how many are left.</summary>
        public int DropBefore(long ticksUtc)
        {
            while (_count > 0 && _items[_start].TicksUtc < ticksUtc)
            {
                _start++;
                _count--;
            }

            if (_count == 0)
            {
                _start = 0;
            }

            return _count;
        }
    }
}
