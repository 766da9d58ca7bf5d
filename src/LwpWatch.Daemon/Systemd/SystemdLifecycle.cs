using System.Diagnostics;
using System.Globalization;
using LwpWatch.Daemon.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LwpWatch.Daemon.Systemd;

/// <summary>
/// Tells systemd how the daemon is doing, derived from poll completions only: READY=1 after the first poll
/// completed, STATUS= after every poll, STOPPING=1 on shutdown, RELOADING=1/READY=1 around a config reload.
/// The watchdog is never pinged from a free-running timer alone: a timer tick pings only when a poll
/// completed recently (within <see cref="StaleAfter"/>), so a wedged poll loop stops the pings and systemd
/// restarts the service after WatchdogSec.
/// </summary>
public sealed class SystemdLifecycle : IDisposable
{
    private readonly SdNotify? _notify;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private long _lastProgress;
    private bool _ready;
    private bool _stalledReported;
    private bool _stopping;
    private long _pings;
    private long _failedAt = -1;

    /// <param name="notify">null when not started by systemd: every call is then a no-op.</param>
    /// <param name="clock">monotonic time source (tests drive it by hand).</param>
    /// <param name="expectedPollGap">
    /// the longest a healthy loop may take between two completions: interval plus the worst-case poll
    /// duration. Pings stop only once the last completion is older than both this and WatchdogSec/2, so a
    /// slow but live poll is not mistaken for a wedged one.
    /// </param>
    /// <param name="log">where a message systemd did not get is reported (the first of a run of failures, and the recovery).</param>
    public SystemdLifecycle(SdNotify? notify, TimeProvider clock, TimeSpan expectedPollGap, ILogger? log = null)
    {
        _notify = notify;
        _clock = clock;
        _log = log ?? NullLogger.Instance;
        var watchdog = notify?.WatchdogInterval;
        if (watchdog is { } w)
        {
            var half = w / 2;
            StaleAfter = half > expectedPollGap ? half : expectedPollGap;
            // Four pings per WatchdogSec: one late tick (GC pause, busy node) still leaves three.
            var period = w / 4;
            PingPeriod = period < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1)
                : period > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : period;
        }

        _lastProgress = clock.GetTimestamp();
    }

    /// <summary>True when $NOTIFY_SOCKET was given.</summary>
    public bool Enabled => _notify is not null;

    /// <summary>How often the watchdog timer ticks; null when the watchdog is off.</summary>
    public TimeSpan? PingPeriod { get; }

    /// <summary>A last poll completion older than this stops the pings.</summary>
    public TimeSpan StaleAfter { get; }

    /// <summary>WATCHDOG=1 messages sent so far.</summary>
    public long PingsSent => Interlocked.Read(ref _pings);

    /// <summary>
    /// Arms the watchdog timer. Start-up counts as progress, so the first poll gets the same
    /// <see cref="StaleAfter"/> grace as any other; a first poll that wedges stops the pings too.
    /// </summary>
    public void Start()
    {
        lock (_gate)
        {
            _lastProgress = _clock.GetTimestamp();
            if (_notify is null || PingPeriod is not { } period || _timer is not null)
            {
                return;
            }

            _timer = _clock.CreateTimer(static s => ((SystemdLifecycle)s!).Tick(), this, period, period);
        }
    }

    /// <summary>Called by the poll loop each time a poll completed (successfully or with failed collectors).</summary>
    public void PollCompleted(string status)
    {
        if (_notify is null)
        {
            return;
        }

        lock (_gate)
        {
            _lastProgress = _clock.GetTimestamp();
            _stalledReported = false;
            if (_stopping)
            {
                return;
            }

            var message = _ready ? $"STATUS={Clean(status)}" : $"READY=1\nSTATUS={Clean(status)}";
            _ready = true;
            if (PingPeriod is not null)
            {
                // A completion is the best evidence of liveness there is: ping now rather than wait a tick.
                message += "\nWATCHDOG=1";
                Interlocked.Increment(ref _pings);
            }

            Send(message);
        }
    }

    /// <summary>The watchdog tick: pings only if a poll completed within <see cref="StaleAfter"/>.</summary>
    public bool Tick()
    {
        if (_notify is null || PingPeriod is null)
        {
            return false;
        }

        lock (_gate)
        {
            var age = _clock.GetElapsedTime(_lastProgress);
            if (age <= StaleAfter)
            {
                Interlocked.Increment(ref _pings);
                Send("WATCHDOG=1");
                return true;
            }

            if (!_stalledReported && !_stopping)
            {
                // Say why the pings stopped, so `systemctl status` explains the coming watchdog restart.
                _stalledReported = true;
                Send(string.Create(CultureInfo.InvariantCulture, $"STATUS=poll loop stalled: no poll completed for {age.TotalSeconds:0}s"));
            }

            return false;
        }
    }

    /// <summary>Before re-reading the configuration (SIGHUP).</summary>
    public void Reloading()
    {
        if (_notify is null)
        {
            return;
        }

        // MONOTONIC_USEC lets newer systemd (Type=notify-reload) match the reload to its request.
        var usec = Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000);
        Send(string.Create(CultureInfo.InvariantCulture, $"RELOADING=1\nMONOTONIC_USEC={usec}\nSTATUS=reloading configuration"));
    }

    /// <summary>After a reload, applied or rejected: the daemon is serving either way.</summary>
    public void Reloaded(string status)
    {
        if (_notify is null)
        {
            return;
        }

        lock (_gate)
        {
            Send($"READY=1\nSTATUS={Clean(status)}");
        }
    }

    /// <summary>SIGTERM received: the last poll finishes, state is flushed, then the process exits.</summary>
    public void Stopping(string status = "stopping")
    {
        if (_notify is null)
        {
            return;
        }

        lock (_gate)
        {
            _stopping = true;
            Send($"STOPPING=1\nSTATUS={Clean(status)}");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>Messages systemd did not get (socket gone, queue full): exported as lwpwatch_systemd_notify_errors_total.</summary>
    public long NotifyFailures => _notify?.Failures ?? 0;

    /// <summary>
    /// Sends one message, never waiting. A failure is counted by <see cref="SdNotify"/> and logged once per run of
    /// failures (the watchdog pings every few seconds: one line per ping would flood the log that explains it), and
    /// the recovery is logged with how many messages were lost meanwhile.
    /// </summary>
    private void Send(string message)
    {
        var notify = _notify!;
        var before = notify.Failures;
        var ok = notify.Send(message);
        var failures = notify.Failures;
        if (!ok && failures == before)
        {
            return; // disposed: shutting down, nothing was lost that anyone waits for
        }

        var first = Interlocked.Read(ref _failedAt);
        if (!ok && first < 0)
        {
            Interlocked.Exchange(ref _failedAt, failures - 1);
            _log.NotifyFailed(notify.SocketPath, notify.LastError ?? "disposed", message.Split('\n')[0]);
        }
        else if (ok && first >= 0)
        {
            Interlocked.Exchange(ref _failedAt, -1);
            _log.NotifyRecovered(notify.SocketPath, failures - first);
        }
    }

    /// <summary>A status is one line; a newline inside it would start a bogus KEY=value assignment.</summary>
    private static string Clean(string status) =>
        status.Replace('\n', ' ').Replace('\r', ' ');
}
