using Microsoft.Extensions.Logging;

namespace LwpWatch.Daemon.Logging;

/// <summary>
/// Every message the daemon logs, one source-generated method each, each with its own event id: a log shipper
/// or an alert on the logs keys on EventId.Id, so an id names exactly one message and is never reused for
/// another, not even after the message is gone (the anchor: dotnet-monitor's LoggingEventIds). Ranges by area:
/// 10xx poll loop, 11xx findings and alerts, 12xx delivery and outbox, 13xx configuration, 14xx HTTP and start,
/// 16xx systemd notification, 17xx evidence. docs/LOGGING.md lists them (LogIdsTests holds it to this file).
/// Retired ids, never to be given out again: 1500.
/// </summary>
internal static partial class Log
{
    // 10xx: the poll loop.
    [LoggerMessage(EventId = 1000, Level = LogLevel.Debug, Message = "Poll done in {Seconds:0.000}s: {Zones} zones, {Findings} findings, status {Status}")]
    public static partial void PollDone(this ILogger logger, double seconds, int zones, int findings, string status);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Poll took {Seconds:0.000}s, longer than the {Interval} interval")]
    public static partial void PollSlow(this ILogger logger, double seconds, string interval);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Polling {Platform} every {Interval} with collectors {Collectors}")]
    public static partial void PollLoopStarted(this ILogger logger, string platform, string interval, IEnumerable<string> collectors);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Poll loop stopped")]
    public static partial void PollLoopStopped(this ILogger logger);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Poll failed")]
    public static partial void PollFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Rendering metrics failed; serving the previous exposition")]
    public static partial void MetricsRenderFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Poll observer {Observer} failed")]
    public static partial void PollObserverFailed(this ILogger logger, Exception exception, string observer);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Collector {Collector} failed: {Error}")]
    public static partial void CollectorFailed(this ILogger logger, string collector, string? error);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Error, Message = "{RuleError}")]
    public static partial void RuleFailed(this ILogger logger, string ruleError);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information, Message = "Released {Megabytes:0.0} MB of start-up pages of {Executable} from memory ({Mappings} read-only mappings); the polls map back what they use")]
    public static partial void StartupPagesReleased(this ILogger logger, double megabytes, int mappings, string executable);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Start-up pages not released ({Error}); the daemon runs on, its RSS a few MB higher")]
    public static partial void StartupPagesNotReleased(this ILogger logger, string error);

    // 11xx: findings and alerts.

    /// <param name="level">Error for a critical finding, Warning otherwise.</param>
    [LoggerMessage(EventId = 1100, Message = "{Rule} {Severity} in {Zone}: {Summary} Fix: {Hints}")]
    public static partial void FindingFired(this ILogger logger, LogLevel level, string rule, string severity, string zone, string summary, IEnumerable<string> hints);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Resolved: {Fingerprint}")]
    public static partial void FindingResolved(this ILogger logger, string fingerprint);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Restored {Count} alerts from the saved state")]
    public static partial void AlertsRestored(this ILogger logger, int count);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Saved alert state ignored: {Error}")]
    public static partial void AlertStateIgnored(this ILogger logger, string error);

    /// <param name="level">Information for a resolved notification, Warning for a firing one.</param>
    [LoggerMessage(EventId = 1104, Message = "Alert {Status} ({Reason}) {Fingerprint} severity {Severity} -> {Receiver}: {Summary}")]
    public static partial void AlertNotified(this ILogger logger, LogLevel level, string status, string reason, string fingerprint, string severity, string receiver, string summary);

    // 12xx: delivery and the outbox.
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "sent {Status} {Alert} to {Receiver} ({Detail}, attempt {Attempt})")]
    public static partial void NotificationSent(this ILogger logger, string status, string alert, string receiver, string detail, int attempt);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "sending {Status} {Alert} to {Receiver} failed ({Detail}, attempt {Attempt}); retry in {Delay}")]
    public static partial void NotificationRetry(this ILogger logger, string status, string alert, string receiver, string detail, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "receiver {Receiver} rejected {Status} {Alert} ({Detail}); dropped, resending the same payload cannot succeed")]
    public static partial void NotificationRejected(this ILogger logger, string receiver, string status, string alert, string detail);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Error, Message = "delivery pass failed")]
    public static partial void DeliveryPassFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "Alert hand-off buffer full: dropped the {Count} oldest notifications (the outbox store is not keeping up)")]
    public static partial void HandOffOverflow(this ILogger logger, int count);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Error, Message = "saved alert state in {Path} could not be read ({Error}); starting with no alerts")]
    public static partial void AlertStateUnreadable(this ILogger logger, string path, string error);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Error, Message = "outbox: could not queue {Count} notifications ({Error}); they are dropped")]
    public static partial void OutboxQueueFailed(this ILogger logger, Exception exception, int count, string error);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Error, Message = "a notification for {Receiver} cannot be written as JSON ({Error}); dropped")]
    public static partial void NotificationUnwritable(this ILogger logger, Exception exception, string? receiver, string error);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Error, Message = "alert state cannot be written as JSON ({Error}); the last saved state is kept")]
    public static partial void AlertStateUnwritable(this ILogger logger, Exception exception, string error);

    [LoggerMessage(EventId = 1209, Level = LogLevel.Warning, Message = "dropped {Status} notification {Key}: receiver {Receiver} is no longer configured")]
    public static partial void NotificationReceiverGone(this ILogger logger, string status, string key, string receiver);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Warning, Message = "dropped {Status} notification {Key} for receiver {Receiver}: older than {MaxAge} after {Attempts} attempts (last error: {Error})")]
    public static partial void NotificationExpired(this ILogger logger, string status, string key, string receiver, TimeSpan maxAge, int attempts, string error);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "dropped {Status} notification {Key} for receiver {Receiver}: outbox full ({Max} queued)")]
    public static partial void NotificationOverflow(this ILogger logger, string status, string key, string receiver, int max);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "outbox store {Path} is writable again; {Count} notifications moved from memory to disk")]
    public static partial void OutboxStoreRecovered(this ILogger logger, string path, int count);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Error, Message = "outbox store {Path}: cannot {What} ({Error}); notifications are kept in memory (at most {Max}) until it recovers")]
    public static partial void OutboxStoreFailed(this ILogger logger, string path, string what, string error, int max);

    [LoggerMessage(EventId = 1214, Level = LogLevel.Warning, Message = "member {Member} of {Receiver} missed {Status} {Alert} ({Detail}); another member took it, and the next re-push reaches this one")]
    public static partial void MemberMissed(this ILogger logger, string member, string receiver, string status, string alert, string detail);

    // 13xx: configuration.
    [LoggerMessage(EventId = 1300, Level = LogLevel.Error, Message = "Config reload rejected, keeping the running configuration: {Problem}")]
    public static partial void ConfigReloadRejected(this ILogger logger, string problem);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Config reloaded from {Source}")]
    public static partial void ConfigReloaded(this ILogger logger, string source);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Config reloaded from {Source}; changes to {Sections} take effect only after a restart")]
    public static partial void ConfigReloadedNeedsRestart(this ILogger logger, string source, IEnumerable<string> sections);

    // 14xx: HTTP and start-up.
    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "LwpWatch {Version} listening on {Listen}")]
    public static partial void HttpListening(this ILogger logger, string version, string listen);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Critical, Message = "Cannot start: {Message}")]
    public static partial void StartFailed(this ILogger logger, Exception exception, string message);

    // 16xx: systemd notification (sd_notify).
    [LoggerMessage(EventId = 1600, Level = LogLevel.Warning, Message = "systemd notification: {Problem}")]
    public static partial void NotifyEnvironmentProblem(this ILogger logger, string problem);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Notifying systemd at {Socket}; watchdog {Watchdog}, pinged while a poll completed within {StaleAfter}")]
    public static partial void NotifyEnabled(this ILogger logger, string socket, string watchdog, TimeSpan staleAfter);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "systemd did not get {Notification} on {Socket} ({Error}); every lost message is counted in lwpwatch_systemd_notify_errors_total, the next line is logged when it works again")]
    public static partial void NotifyFailed(this ILogger logger, string socket, string error, string notification);

    [LoggerMessage(EventId = 1603, Level = LogLevel.Information, Message = "systemd notification on {Socket} works again; {Lost} messages were lost")]
    public static partial void NotifyRecovered(this ILogger logger, string socket, long lost);

    // 17xx: evidence bundles.
    [LoggerMessage(EventId = 1700, Level = LogLevel.Error, Message = "evidence bundle {Id} for {Fingerprint} not saved in {Dir} ({Error}); counted in lwpwatch_evidence_save_errors_total, gathered again on the next poll")]
    public static partial void EvidenceSaveFailed(this ILogger logger, string id, string fingerprint, string dir, string error);
}
