using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LwpWatch.Daemon.Http;

/// <summary>
/// Optional bearer token in front of /api/* (and /metrics when configured). The comparison hashes both sides
/// and compares the digests in constant time, so neither the token's content nor its length leaks through timing.
/// </summary>
public sealed class BearerAuth(string token, bool protectMetrics)
{
    private readonly byte[] _digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public void Use(IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        if (!Guarded(ctx.Request.Path) || Authorized(ctx.Request.Headers.Authorization.ToString()))
        {
            await next(ctx).ConfigureAwait(false);
            return;
        }

        ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
        ctx.Response.Headers.WWWAuthenticate = "Bearer realm=\"lwpwatch\"";
        await ctx.Response.WriteAsync("bearer token required\n").ConfigureAwait(false);
    });

    public bool Guarded(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        || (protectMetrics && path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase));

    public bool Authorized(string header)
    {
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, _digest);
    }
}
