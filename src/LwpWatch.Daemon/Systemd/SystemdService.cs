using System.Globalization;
using LwpWatch.Core.Output;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Pipeline;
using Microsoft.Extensions.Hosting;

namespace LwpWatch.Daemon.Systemd;

/// <summary>
/// Hooks <see cref="SystemdLifecycle"/> into the host: every completed poll is reported (READY=1 the first
/// time, STATUS= always, and it is what keeps the watchdog pinged), and shutdown is announced with
/// STOPPING=1 as soon as it begins, while the poll in flight is still finishing.
/// </summary>
public sealed class SystemdService(SystemdLifecycle lifecycle, IHostApplicationLifetime lifetime) : IHostedService, IPollObserver
{
    private CancellationTokenRegistration _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifecycle.Start();
        _stopping = lifetime.ApplicationStopping.Register(() => lifecycle.Stopping("stopping: finishing the poll in flight, flushing state"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Dispose();
        return Task.CompletedTask;
    }

    public void OnPoll(PollResult result) => lifecycle.PollCompleted(Status(result));

    /// <summary>The one line `systemctl status lwpwatch` shows.</summary>
    public static string Status(PollResult result)
    {
        var o = result.Outcome;
        var failed = 0;
        foreach (var c in o.Snapshot.Collectors)
        {
            failed += c.Success ? 0 : 1;
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"{OutputNames.Status(o.Status)}: {o.Snapshot.Zones.Length} zones, {o.Findings.Length} findings, {failed} failed collectors, poll {result.Duration.TotalMilliseconds:0}ms");
    }
}
