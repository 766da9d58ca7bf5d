using System.Net.Sockets;
using System.Text;

namespace LwpWatch.Daemon.Tests.Systemd;

/// <summary>
/// A real unix datagram socket standing in for systemd's notify socket. <see cref="Drain"/> reads what is
/// queued without blocking, so "nothing was sent" is checked without waiting for a timeout.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket;
    private readonly string? _dir;

    private NotifySocket(Socket socket, string address, string? dir)
    {
        _socket = socket;
        Address = address;
        _dir = dir;
    }

    /// <summary>The value for $NOTIFY_SOCKET.</summary>
    public string Address { get; }

    public static NotifySocket OnPath()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lwpw-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "notify");
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return new NotifySocket(socket, path, dir);
    }

    public static NotifySocket Abstract()
    {
        var name = "lwpw-test-" + Guid.NewGuid().ToString("N")[..12];
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        return new NotifySocket(socket, "@" + name, null);
    }

    /// <summary>
    /// Everything received so far, one string per datagram. Exact without waiting: a unix datagram is in the
    /// receiver's queue by the time sendto returns, and the code under test sends synchronously.
    /// Note the kernel queues at most net.unix.max_dgram_qlen (10 here) datagrams: drain often.
    /// </summary>
    public List<string> Drain()
    {
        var messages = new List<string>();
        var buffer = new byte[4096];
        _socket.Blocking = false;
        try
        {
            while (true)
            {
                var n = _socket.Receive(buffer);
                messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
        {
            return messages;
        }
        finally
        {
            _socket.Blocking = true;
        }
    }

    /// <summary>Waits (up to a generous bound) for one datagram from a process under test.</summary>
    public string? Receive(TimeSpan timeout)
    {
        var buffer = new byte[4096];
        _socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            var n = _socket.Receive(buffer);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut || ex.SocketErrorCode == SocketError.WouldBlock)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (_dir is not null && Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
