using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LwpWatch.Daemon.Http;

/// <summary>
/// Without an API token, the only thing between a web page and the open /api is the browser's same-origin rule,
/// and DNS rebinding defeats it: a page on attacker.example re-resolves its own name to 127.0.0.1, and the
/// browser then sends `Host: attacker.example` to the loopback daemon and lets the page read the answer. So
/// when no token is set, a request is served only when its Host names the daemon: <c>localhost</c>, an IP
/// address written canonically (<c>127.0.0.1</c>, <c>[::1]</c>, any other: a browser never resolves an address
/// through DNS, so it cannot be rebound), or the host of <c>http.listen</c>. Anything else gets 400 before any
/// handler. With a token the check is off: a rebinding page cannot know the token.
/// </summary>
public sealed class HostCheck(string listenHost)
{
    public void Use(IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        if (Allowed(ctx.Request.Host))
        {
            await next(ctx).ConfigureAwait(false);
            return;
        }

        // The Host is not echoed: it is the requester's text.
        ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
        await ctx.Response.WriteAsync("Host not allowed: without an API token only localhost, an IP address or the listen host is served (see docs/SECURITY.md)\n").ConfigureAwait(false);
    });

    public bool Allowed(HostString host)
    {
        // HTTP/1.0 without Host: not a browser (every browser sends Host), so not a rebinding.
        if (!host.HasValue)
        {
            return true;
        }

        var name = host.Host;
        return string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, listenHost, StringComparison.OrdinalIgnoreCase)
            || IsCanonicalAddress(name);
    }

    /// <summary>A dotted-quad IPv4 or a bracketed IPv6 address, as a browser's URL parser writes them in Host.</summary>
    private static bool IsCanonicalAddress(string name)
    {
        if (name.Length > 2 && name[0] == '[' && name[^1] == ']')
        {
            return IPAddress.TryParse(name.AsSpan(1, name.Length - 2), out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6;
        }

        // IPAddress.TryParse also takes inet_aton forms (127.1, 0x7f.1): only the canonical text counts.
        return IPAddress.TryParse(name, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && v4.ToString() == name;
    }
}
