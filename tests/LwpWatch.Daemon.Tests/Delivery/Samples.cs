using System.Collections.Immutable;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>Fixed, realistic alerts and findings for payload and delivery tests.</summary>
public static class Samples
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 22, 1, 2, 3, 456, TimeSpan.Zero);

    public static Alert Alert(AlertState state = AlertState.Firing) => new()
    {
        Fingerprint = "near-cap|/system.slice/web.service",
        Rule = "near-cap",
        ZoneId = "/system.slice/web.service",
        Severity = Severity.Critical,
        State = state,
        StartsAt = T0,
        FiredAt = T0,
        EndsAt = state == AlertState.Resolved ? T0.AddMinutes(7) : null,
        LastSeenAt = T0.AddMinutes(5),
        Summary = "web.service (/system.slice/web.service) uses 20 of 20 LWPs (100%)",
        Description = "denials: 31\nlwpLimit: 20\nlwps: 20\nratio: 1\nsuggestedLimit: 40",
        Hints =
        [
            LwpWatch.Core.Rules.Hint.Command("near-cap", "/system.slice/web.service", HintEffect.Persistent, ShellWord.Literal("systemctl"), ShellWord.Literal("set-property"), ShellWord.Text("web.service"), ShellWord.Literal("TasksMax=40")),
            LwpWatch.Core.Rules.Hint.WriteFile("near-cap", "/system.slice/web.service", HintEffect.Live, ShellWord.CgroupPath("/sys/fs/cgroup/pids/system.slice/web.service/pids.max"), ShellWord.Number(40)),
        ],
        RunbookUrl = "https://runbooks.example.org/lwpwatch#near-cap",
        Labels = new Dictionary<string, string>
        {
            ["alertname"] = "LwpWatchNearCap",
            ["severity"] = "critical",
            ["rule"] = "near-cap",
            ["zone"] = "/system.slice/web.service",
            ["zone_name"] = "web.service",
            ["kind"] = "cgroup",
            ["host"] = "node1",
        }.ToImmutableSortedDictionary(StringComparer.Ordinal),
    };

    public static AlertNotification Notification(string receiver, string status = AlertNotification.Firing) => new()
    {
        Receiver = receiver,
        Status = status,
        Reason = status == AlertNotification.Firing ? "new" : "resolved",
        Alert = Alert(status == AlertNotification.Firing ? AlertState.Firing : AlertState.Resolved),
        CreatedAt = T0.AddMinutes(5),
    };

    /// <summary>A distinct near-cap finding per zone (one alert each).</summary>
    public static Finding Finding(string zone, Severity severity = Severity.Critical, DateTimeOffset? since = null) => new()
    {
        Rule = "near-cap",
        ZoneId = zone,
        Severity = severity,
        Since = since ?? DateTimeOffset.UtcNow,
        Summary = $"{zone} uses 20 of 20 LWPs (100%)",
        Figures = EvidenceMap.Of(("lwps", 20L), ("lwpLimit", 20L)),
        Hints = [LwpWatch.Core.Rules.Hint.WriteFile("near-cap", zone, HintEffect.Live, ShellWord.CgroupPath($"/sys/fs/cgroup/pids/{zone}/pids.max"), ShellWord.Number(40))],
    };
}
