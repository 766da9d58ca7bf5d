using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace LwpWatch.Daemon.Systemd;

/// <summary>
/// The sd_notify protocol, written here because Microsoft.Extensions.Hosting.Systemd is not available: one
/// datagram of "KEY=value" lines to the unix socket named by $NOTIFY_SOCKET ('@' = abstract namespace).
/// Sending is non-blocking: if systemd's queue is full the message is dropped and counted, never waited for,
/// because a notify call sits on the poll path.
/// </summary>
public sealed class SdNotify : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endPoint;
    private readonly Lock _gate = new();
    private long _failures;
    private string? _lastError;
    private bool _disposed;

    private SdNotify(string socketPath, TimeSpan? watchdogInterval)
    {
        SocketPath = socketPath;
        WatchdogInterval = watchdogInterval;
        // Abstract sockets are spelled with a leading '@' in the environment and a leading NUL on the wire.
        _endPoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
    }

    /// <summary>The socket as given in $NOTIFY_SOCKET.</summary>
    public string SocketPath { get; }

    /// <summary>WatchdogSec of the unit when the watchdog is meant for this process; null when it is off.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>Messages that could not be delivered (socket gone, queue full).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Why the last failed message was dropped (the socket error, e.g. ConnectionRefused); null before any.</summary>
    public string? LastError
    {
        get
        {
            lock (_gate)
            {
                return _lastError;
            }
        }
    }

    /// <summary>
    /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID the way libsystemd does. Returns null when not
    /// started by systemd (no NOTIFY_SOCKET). Problems with the variables are reported through
    /// <paramref name="problems"/> rather than thrown: a bad watchdog value must not stop the daemon.
    /// </summary>
    public static SdNotify? FromEnvironment(Func<string, string?> getEnv, int ownPid, ICollection<string> problems)
    {
        var path = getEnv("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        if (path[0] != '/' && path[0] != '@')
        {
            problems.Add($"NOTIFY_SOCKET: must be an absolute path or start with '@', got '{path}'; not notifying systemd");
            return null;
        }

        if (path.Length < 2)
        {
            problems.Add($"NOTIFY_SOCKET: '{path}' names no socket; not notifying systemd");
            return null;
        }

        return new SdNotify(path, ParseWatchdog(getEnv("WATCHDOG_USEC"), getEnv("WATCHDOG_PID"), ownPid, problems));
    }

    /// <summary>The unit's watchdog interval if it applies to <paramref name="ownPid"/>, else null.</summary>
    public static TimeSpan? ParseWatchdog(string? usec, string? pid, int ownPid, ICollection<string> problems)
    {
        if (string.IsNullOrEmpty(usec))
        {
            return null;
        }

        if (!ulong.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var micros) || micros == 0)
        {
            problems.Add($"WATCHDOG_USEC: must be a positive integer of microseconds, got '{usec}'; watchdog off");
            return null;
        }

        // WATCHDOG_PID is set when the variable may have been inherited by a child: then only that pid pings.
        if (!string.IsNullOrEmpty(pid))
        {
            if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var target) || target <= 0)
            {
                problems.Add($"WATCHDOG_PID: must be a process id, got '{pid}'; watchdog off");
                return null;
            }

            if (target != ownPid)
            {
                return null;
            }
        }

        // TimeSpan ticks are 100 ns; a silly huge value saturates instead of overflowing.
        return micros >= (ulong)(TimeSpan.MaxValue.Ticks / 10) ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)micros * 10);
    }

    /// <summary>Sends one notification ("READY=1", "STATUS=...", several separated by '\n'). False when dropped.</summary>
    public bool Send(string state)
    {
        var payload = Encoding.UTF8.GetBytes(state);
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            try
            {
                _socket.SendTo(payload, SocketFlags.None, _endPoint);
                return true;
            }
            catch (SocketException ex)
            {
                // ENOENT/ECONNREFUSED (systemd gone or socket moved) and EAGAIN (queue full): drop, count, go on.
                Interlocked.Increment(ref _failures);
                _lastError = ex.SocketErrorCode.ToString();
                return false;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _socket.Dispose();
        }
    }
}
