using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Illumos;

/// <summary>Runs one illumos tool through the host source and insists on a complete, successful run.</summary>
internal static class IllumosCommand
{
    /// <summary>stdout and stderr of a run that exited 0; anything else fails the calling collector with a message naming the command.</summary>
    public static async Task<(string Stdout, string Stderr)> RunAsync(IHostSource io, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct)
    {
        var r = await io.RunAsync(argv, timeout, ct).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw new IOException(r.Describe());
        }

        if (r.Truncated)
        {
            // A cut listing would silently drop zones or services: refuse it.
            throw new IOException($"'{string.Join(' ', argv)}' printed more than the output cap; its output was cut");
        }

        return (r.Stdout, r.Stderr);
    }

    /// <summary>&lt;zonesRoot&gt;&lt;zonepath&gt;: zonesRoot is "/" on a node and a fixture/replay tree in tests.</summary>
    public static string UnderZonesRoot(string zonesRoot, string zonePath)
    {
        var root = zonesRoot.TrimEnd('/');
        return root + (zonePath.StartsWith('/') ? zonePath : "/" + zonePath);
    }
}
