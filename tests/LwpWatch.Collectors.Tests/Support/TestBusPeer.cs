using System.Diagnostics;
using System.Net.Sockets;
using Tmds.DBus.Protocol;

namespace LwpWatch.Collectors.Tests.Support;

/// <summary>
/// A private, real dbus-daemon (the Debian dbus-daemon binary, its own socket in a temp dir) with a
/// peer that owns org.freedesktop.systemd1: either one that never replies (a hung systemd, node_exporter
/// #2585) or one that answers "Types" with a reply holding every D-Bus type, for comparing our JSON with
/// busctl's. Dispose stops both.
/// </summary>
internal sealed class TestBusPeer : IDisposable
{
    public const string Name = "org.freedesktop.systemd1";

    private readonly string _dir;
    private readonly System.Diagnostics.Process _daemon;
    private readonly DBusConnection _peer;

    private TestBusPeer(string dir, System.Diagnostics.Process daemon, DBusConnection peer, string address)
    {
        _dir = dir;
        _daemon = daemon;
        _peer = peer;
        Address = address;
    }

    public string Address { get; }

    /// <summary>Method calls the peer received (and, in hang mode, never answered).</summary>
    public int Received => Handler.Count;

    private Handler Handler { get; init; } = null!;

    /// <summary>
    /// Runs on the thread pool: Tmds.DBus dispatches on the SynchronizationContext it was set up on, and xunit's
    /// context (one test thread) would then wait on itself.
    /// </summary>
    public static Task<TestBusPeer> StartAsync(bool hang) => Task.Run(() => StartCoreAsync(hang));

    private static async Task<TestBusPeer> StartCoreAsync(bool hang)
    {
        var dir = Path.Combine(Path.GetTempPath(), "lwpw-bus-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var socket = Path.Combine(dir, "bus");
        var psi = new ProcessStartInfo("dbus-daemon") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // Debian's session config (allow all, EXTERNAL auth) on our own socket; a hand-written minimal config hung at AUTH.
        foreach (var a in (string[])["--session", $"--address=unix:path={socket}", "--nofork", "--nopidfile", "--print-address"])
        {
            psi.ArgumentList.Add(a);
        }

        var daemon = System.Diagnostics.Process.Start(psi)!;
        try
        {
            // --print-address writes the address once the socket listens.
            var line = await daemon.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            if (string.IsNullOrEmpty(line))
            {
                daemon.Kill(true);
                Assert.Fail("dbus-daemon printed no address: " + await daemon.StandardError.ReadToEndAsync());
            }
            var address = "unix:path=" + socket;
            var peer = new DBusConnection(address);
            await peer.ConnectAsync();
            var handler = new Handler(hang);
            peer.AddMethodHandler(handler);
            await peer.RequestNameAsync(Name);
            return new TestBusPeer(dir, daemon, peer, address) { Handler = handler };
        }
        catch
        {
            daemon.Kill(true);
            daemon.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _peer.Dispose();
        try
        {
            _daemon.Kill(true);
            _daemon.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _daemon.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A unix socket that accepts connections and never sends a byte (not even the AUTH answer).</summary>
    public sealed class Silent : IDisposable
    {
        private readonly Socket _listener;
        private readonly List<Socket> _accepted = [];
        private readonly string _dir;

        public Silent()
        {
            _dir = Path.Combine(Path.GetTempPath(), "lwpw-bus-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(_dir);
            Path0 = Path.Combine(_dir, "bus");
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(Path0));
            _listener.Listen(64);
            _ = AcceptLoop();
        }

        public string Path0 { get; }

        public string Address => "unix:path=" + Path0;

        public int Accepted
        {
            get
            {
                lock (_accepted)
                {
                    return _accepted.Count;
                }
            }
        }

        public void Dispose()
        {
            _listener.Dispose();
            lock (_accepted)
            {
                foreach (var s in _accepted)
                {
                    s.Dispose();
                }
            }

            Directory.Delete(_dir, recursive: true);
        }

        private async Task AcceptLoop()
        {
            try
            {
                while (true)
                {
                    var s = await _listener.AcceptAsync();
                    lock (_accepted)
                    {
                        _accepted.Add(s);
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // listener closed
            }
        }
    }
}

internal sealed class Handler(bool hang) : IPathMethodHandler
{
    private int _count;

    public int Count => _count;

    public string Path => "/";

    public bool HandlesChildPaths => true;

    public ValueTask HandleMethodAsync(MethodContext context)
    {
        Interlocked.Increment(ref _count);
        if (hang)
        {
            // Never completes, so no reply is ever sent (a handler that returns without replying gets an automatic
            // UnknownMethod error from Tmds.DBus): the caller's timeout is all that ends its wait.
            return new ValueTask(new TaskCompletionSource().Task);
        }

        var member = context.Request.MemberAsString;
        if (member == "Fail")
        {
            context.ReplyError("org.freedesktop.DBus.Error.AccessDenied", "no, and a second\nline");
            return ValueTask.CompletedTask;
        }

        if (member != "Types")
        {
            context.ReplyUnknownMethodError();
            return ValueTask.CompletedTask;
        }

        // Every type systemd's replies use, nested the way its unit properties nest them.
        using var w = context.CreateReplyWriter("ybnqiuxtdsogva{sv}a(sasbttttuii)ayas");
        w.WriteByte(255);
        w.WriteBool(true);
        w.WriteInt16(-32768);
        w.WriteUInt16(65535);
        w.WriteInt32(int.MinValue);
        w.WriteUInt32(uint.MaxValue);
        w.WriteInt64(long.MinValue);
        w.WriteUInt64(ulong.MaxValue);
        w.WriteDouble(0.25);
        w.WriteString("quote \" backslash \\ tab \t é ✓");
        w.WriteObjectPath("/org/freedesktop/systemd1/unit/a_2eservice");
        w.WriteSignature("a{sv}");
        w.WriteVariantString("in a variant");
        var dict = w.WriteDictionaryStart();
        w.WriteDictionaryEntryStart();
        w.WriteString("TasksMax");
        w.WriteVariantUInt64(20);
        w.WriteDictionaryEntryStart();
        w.WriteString("Requires");
        w.WriteSignature("as");
        w.WriteArray(new[] { "a.service", "b.socket" });
        w.WriteDictionaryEntryStart();
        w.WriteString("Empty");
        w.WriteSignature("as");
        w.WriteArray(Array.Empty<string>());
        w.WriteDictionaryEnd(dict);
        var structs = w.WriteArrayStart(DBusType.Struct);
        w.WriteStructureStart();
        w.WriteString("/usr/local/bin/spawn");
        w.WriteArray(new[] { "/usr/local/bin/spawn", "50" });
        w.WriteBool(false);
        w.WriteUInt64(1);
        w.WriteUInt64(2);
        w.WriteUInt64(3);
        w.WriteUInt64(4);
        w.WriteUInt32(1234);
        w.WriteInt32(-1);
        w.WriteInt32(0);
        w.WriteArrayEnd(structs);
        w.WriteArray(new byte[] { 0, 1, 127, 255 });
        w.WriteArray(Array.Empty<string>());
        context.Reply(w.CreateMessage());
        return ValueTask.CompletedTask;
    }
}
