using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// The bounds of one walk over a cgroup tree whose lower levels tenants shape (any name, any depth, any number):
/// a depth limit, a time budget shared out per subtree, and a bounded list of warnings that name (escaped,
/// clipped) every cgroup that could not be read and every subtree that was cut. Nothing is dropped silently and no
/// single cgroup can fail the collector.
/// Time: the walk as a whole has <see cref="Budget"/>; when a directory's children are walked, each child may use
/// what is left of its parent's share except a reserve kept for the siblings still to come (at most
/// <see cref="MinSlice"/> each, never more than half of what is left), so one huge or deep subtree is cut where it
/// is, and the cheap subtrees after it are still read.
/// </summary>
internal sealed class CgroupWalk
{
    /// <summary>
    /// Levels below the hierarchy root that are read. Far above any real layout (systemd and Kubernetes nest 3-6,
    /// nested containers a few more); it also bounds the directory handles the walk holds open (one per level).
    /// </summary>
    public const int MaxDepth = 128;

    /// <summary>Per-cgroup warnings kept per walk; the rest are counted in one closing warning.</summary>
    public const int MaxWarnings = 20;

    /// <summary>Paths longer than this many characters are shown as their start and end only.</summary>
    private const int DisplayChars = 400;

    private readonly ImmutableArray<string>.Builder _warnings;
    private readonly string _who;
    private readonly TimeProvider _clock;
    private readonly long _minSliceTicks;
    private int _shown;
    private int _more;

    public CgroupWalk(string who, TimeProvider clock, TimeSpan budget, ImmutableArray<string>.Builder warnings)
    {
        _who = who;
        _clock = clock;
        Budget = budget;
        _warnings = warnings;
        _minSliceTicks = TicksOf(MinSlice);
        Deadline = clock.GetTimestamp() + TicksOf(budget);
    }

    /// <summary>The most any sibling still to come is kept back from the one being walked.</summary>
    public static TimeSpan MinSlice { get; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan Budget { get; }

    /// <summary>The whole walk's deadline (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    public long Deadline { get; }

    /// <summary>How long the child being started may run: its parent's deadline less the reserve for the siblings after it.</summary>
    public long ChildDeadline(long parentDeadline, int siblingsAfter)
    {
        if (siblingsAfter == 0)
        {
            return parentDeadline;
        }

        var left = Math.Max(0, parentDeadline - _clock.GetTimestamp());
        var reserve = Math.Min(siblingsAfter * _minSliceTicks, left / 2);
        return parentDeadline - reserve;
    }

    public bool Expired(long deadline) => _clock.GetTimestamp() >= deadline;

    /// <summary>Subcgroups of <paramref name="path"/> not read because its share of the time ran out (the first of them named).</summary>
    public void TimeCut(string path, int skipped, int of, string first) =>
        Warn($"{_who}: {Display(path)}: {skipped.ToString(CultureInfo.InvariantCulture)} of its {of.ToString(CultureInfo.InvariantCulture)} subcgroups not read this poll, from {Display(first)} on: the cgroup walk's time budget ({Seconds(Budget)}) ran out in this subtree; the zones below them are missing from this poll");

    /// <summary>A cgroup at the depth limit whose subcgroups are left out.</summary>
    public void DepthCut(string path) =>
        Warn($"{_who}: {Display(path)}: {MaxDepth.ToString(CultureInfo.InvariantCulture)} levels deep, the walk's limit: its subcgroups were not read (their tasks count in its usage; fork denials counted below it are missing)");

    /// <summary>A cgroup (or its listing) that could not be read.</summary>
    public void Unreadable(string path, Exception ex) =>
        Warn($"{_who}: {Display(path)}: not read: {(ex is HostIOException h ? h.Reason : ex.Message)}");

    public void Warn(string message)
    {
        if (_shown < MaxWarnings)
        {
            _warnings.Add(message);
            _shown++;
        }
        else
        {
            _more++;
        }
    }

    /// <summary>Says how many warnings were left out (call once, when the walk is over).</summary>
    public void Finish()
    {
        if (_more > 0)
        {
            _warnings.Add($"{_who}: {_more.ToString(CultureInfo.InvariantCulture)} more cgroup warnings this poll not shown");
        }
    }

    /// <summary>An escaped path short enough for a warning line: its start and its end when it is long.</summary>
    public static string Display(string path)
    {
        if (path.Length <= DisplayChars)
        {
            return path;
        }

        var levels = path.AsSpan().Count('/');
        var head = DisplayChars / 2;
        var tail = path.Length - (DisplayChars / 2);
        if (char.IsHighSurrogate(path[head - 1]))
        {
            head--; // never split a character in two
        }

        if (char.IsLowSurrogate(path[tail]))
        {
            tail++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{path.AsSpan(0, head)}...{path.AsSpan(tail)} ({path.Length} characters, {levels} levels)");
    }

    private long TicksOf(TimeSpan t) => (long)(t.TotalSeconds * _clock.TimestampFrequency);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
