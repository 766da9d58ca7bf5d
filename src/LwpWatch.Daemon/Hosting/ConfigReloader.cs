using System.Runtime.InteropServices;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Configuration;
using LwpWatch.Daemon.Logging;
using LwpWatch.Daemon.Pipeline;
using LwpWatch.Daemon.Systemd;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Hosting;

/// <summary>
/// SIGHUP (`systemctl reload`, `svcadm refresh`): re-read the config the daemon was started with, validate
/// all of it, and apply what can change live (poll interval and timeouts, collector settings, rule
/// thresholds) at the start of the next poll. Rule and alert state survive: the new rules are warmed on
/// the kept history, alert tracking and the outbox are untouched. An invalid file is logged, problem by
/// problem, and the running config stays. Sections only read at start-up are reported as needing a restart.
/// </summary>
public sealed class ConfigReloader(
    Func<ConfigResult> load,
    LwpWatchOptions started,
    PollPipeline pipeline,
    SystemdLifecycle lifecycle,
    ILogger<ConfigReloader> log) : IHostedService, IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private PosixSignalRegistration? _hup;
    private LwpWatchOptions _current = started;

    /// <summary>Completed reloads (applied or rejected); lets tests wait without sleeping.</summary>
    public int Reloads { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
        {
            // The default action of SIGHUP is to terminate; a daemon re-reads its config instead.
            ctx.Cancel = true;
            _ = Task.Run(Reload, CancellationToken.None);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _hup?.Dispose();
        _hup = null;
        return Task.CompletedTask;
    }

    /// <summary>One reload at a time; a HUP arriving meanwhile waits its turn and reads the newest file.</summary>
    public async Task Reload()
    {
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            lifecycle.Reloading();
            ConfigResult result;
            try
            {
                result = load();
            }
            catch (Exception ex)
            {
                result = new ConfigResult(_current, [$"reading the configuration failed: {ex.Message}"], null);
            }

            if (!result.IsValid)
            {
                foreach (var e in result.Errors)
                {
                    log.ConfigReloadRejected(e);
                }

                lifecycle.Reloaded("configuration reload rejected (invalid); running with the previous one");
                return;
            }

            var next = result.Options;
            var restart = NeedsRestart(_current, next);
            // Sections read only at start-up keep their running values, so what runs is exactly what is reported.
            pipeline.Reconfigure(next);
            _current = next;
            if (restart.Count > 0)
            {
                log.ConfigReloadedNeedsRestart(result.Source ?? "defaults", restart);
            }
            else
            {
                log.ConfigReloaded(result.Source ?? "defaults");
            }

            lifecycle.Reloaded("configuration reloaded");
        }
        finally
        {
            Reloads++;
            _one.Release();
        }
    }

    /// <summary>The changed sections that are wired at start-up (listeners, files, receivers, log sinks).</summary>
    public static IReadOnlyList<string> NeedsRestart(LwpWatchOptions running, LwpWatchOptions next)
    {
        // Value equality from the config schema (records compare their lists and maps by reference).
        var changed = new List<string>();
        void Check<T>(string name, IValueKind<T> kind, T a, T b)
        {
            if (!kind.Same(a, b))
            {
                changed.Add(name);
            }
        }

        Check("http", Kinds.Section(OptionsSchema.Http), running.Http, next.Http);
        Check("state", Kinds.Section(OptionsSchema.State), running.State, next.State);
        Check("logging", Kinds.Section(OptionsSchema.Logging), running.Logging, next.Logging);
        Check("receivers", OptionsSchema.Receivers, running.Receivers, next.Receivers);
        Check("alerts", Kinds.Section(OptionsSchema.Alerts), running.Alerts, next.Alerts);
        Check("delivery", Kinds.Section(OptionsSchema.Delivery), running.Delivery, next.Delivery);
        Check("evidence", Kinds.Section(OptionsSchema.Evidence), running.Evidence, next.Evidence);
        Check("poll.platform", Kinds.String, running.Poll.Platform, next.Poll.Platform);
        return changed;
    }

    public void Dispose()
    {
        _hup?.Dispose();
        _one.Dispose();
    }
}
