using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Cli;

namespace LwpWatch.Daemon.Tests.Cli;

/// <summary>
/// explain resolves the name an operator pastes. systemd writes a '-' inside a unit-name component as \x2d
/// (systemd-escape(1); `systemctl status` and /proc/PID/cgroup print it so), and LwpWatch's zone ids hold the
/// cgroup path in CgroupName's lossless form, where that backslash is \x5c (seen on the real systemd VM:
/// system-lwpvm\x2dnotify.slice). Both spellings must find the zone.
/// </summary>
public sealed class ExplainReportTests
{
    private const string RawPath = "/system.slice/system-lwpvm\\x2dnotify.slice/lwpvm-notify@1.service";

    private static (RuleOutcome Outcome, RuleEngine Engine) Outcome()
    {
        var id = CgroupName.Escape(System.Text.Encoding.UTF8.GetBytes(RawPath));
        var engine = new RuleEngine([new ForkDeniedRule(new ForkDeniedSettings())], TimeSpan.FromMinutes(5));
        RuleOutcome? outcome = null;
        for (var i = 0; i < 2; i++)
        {
            outcome = engine.Evaluate(new Snapshot
            {
                TakenAt = new DateTimeOffset(2026, 12, 1, 9, 0, 15 * i, TimeSpan.Zero),
                Host = "h",
                Platform = "linux",
                Zones = [new Zone { Id = id, Kind = ZoneKind.Cgroup, Name = id, Lwps = 20, LwpLimit = 20, Denials = 10 + (5 * i), CgroupPath = "/sys/fs/cgroup" + id }],
            });
        }

        return (outcome!, engine);
    }

    [Fact]
    public void ThePathAsSystemdPrintsItFindsTheZone()
    {
        var (outcome, engine) = Outcome();
        var report = Assert.Single(ExplainReport.Build(RawPath, outcome, engine.LastContext!, new CapStarvationSettings()));
        Assert.Equal("/system.slice/system-lwpvm\\x5cx2dnotify.slice/lwpvm-notify@1.service", report.Zone.Id);
    }

    [Fact]
    public void TheZoneIdAsLwpWatchPrintsItFindsTheSameZone()
    {
        var (outcome, engine) = Outcome();
        var id = CgroupName.Escape(System.Text.Encoding.UTF8.GetBytes(RawPath));
        Assert.Single(ExplainReport.Build(id, outcome, engine.LastContext!, new CapStarvationSettings()));
    }

    [Fact]
    public void AnotherNameFindsNothing()
    {
        var (outcome, engine) = Outcome();
        Assert.Empty(ExplainReport.Build("/system.slice/system-lwpvm-notify.slice/lwpvm-notify@1.service", outcome, engine.LastContext!, new CapStarvationSettings()));
    }
}
