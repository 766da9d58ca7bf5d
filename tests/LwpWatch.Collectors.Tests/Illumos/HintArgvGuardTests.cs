using LwpWatch.Collectors.Capture;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

/// <summary>
/// Every command LwpWatch prints for an operator on an illumos node (prctl, vmadm, svcs, ps) checked against what
/// the tool accepts, as read out of its source (Fixtures/illumos/tool-source/, SOURCE.md names repo, path and
/// commit): a hint the tool refuses is as useless at 3 a.m. as a poll argv it refuses.
/// </summary>
public sealed class HintArgvGuardTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";

    private static IReadOnlyList<string> Words(Hint h)
    {
        Assert.Null(h.RedirectTo); // illumos hints are plain commands, no file written by the shell
        return [.. h.Argv.Select(w => w.Value)];
    }

    private static async Task<List<Hint>> ExampleHintsAsync()
    {
        var replay = new BundleReplay(BundleReader.Open(Repo.TritonExample));
        var poller = new Poller(CollectorFactory.Create(replay.Reader.Platform, new LwpWatchOptions(), replay.Source), replay.Clock, replay.Reader.Host, replay.Reader.Platform, TimeSpan.FromSeconds(30));
        var engine = new RuleEngine(RuleFactory.Create(new RulesSettings()), TimeSpan.FromMinutes(30));
        var hints = new List<Hint>();
        foreach (var p in replay.Reader.Polls)
        {
            replay.MoveTo(p.Number);
            var outcome = engine.Evaluate(await poller.PollAsync(CancellationToken.None));
            hints.AddRange(outcome.Findings.SelectMany(f => f.Hints));
        }

        return hints;
    }

    [Fact]
    public async Task EveryHintTheTritonExampleGetsIsOneTheToolAccepts()
    {
        var hints = await ExampleHintsAsync();
        var tools = hints.Select(h => h.Argv[0].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["prctl", "vmadm", "svcs"], StringComparer.Ordinal), tools);
        foreach (var h in hints)
        {
            ToolSource.CheckHint(Words(h));
        }
    }

    [Fact]
    public void TheAtCapAndNotEnforcedFormsAreOnesTheToolsAccept()
    {
        var below = new Zone { Id = Sick, Kind = ZoneKind.IllumosZone, Name = "delegate-test-7", Lwps = 398, LwpLimit = 400, Processes = 7, ProcessLimit = 400 };
        var atCap = below with { Lwps = 400 };
        var notEnforced = below with { LwpLimit = 800, Lwps = 400 };
        List<Hint> hints =
        [
            .. IllumosHints.RaiseCap(RuleIds.CapStarvation, below, 700, provisioning: false),
            .. IllumosHints.RaiseCap(RuleIds.CapStarvation, atCap, 700, provisioning: false),
            .. IllumosHints.RaiseCap(RuleIds.CapStarvation, atCap, 700, provisioning: true),
            .. IllumosHints.EnforceConfigured(RuleIds.ConfiguredNotEnforced, notEnforced, 800, atCap: true),
            .. IllumosHints.EnforceConfigured(RuleIds.ConfiguredNotEnforced, notEnforced, 800, atCap: false),
        ];
        Assert.Contains(hints, h => h.Argv[0].Value == "vmadm" && h.Argv[1].Value == "reboot");
        Assert.Contains(hints, h => h.Argv.Any(w => w.Value == "zone.max-processes"));
        foreach (var h in hints)
        {
            ToolSource.CheckHint(Words(h));
        }
    }

    [Fact]
    public void TheProcessTableHintIsOnePsAccepts()
    {
        var t0 = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
        Snapshot Poll(int i, long noproc) => new()
        {
            TakenAt = t0.AddSeconds(30 * i),
            Host = "cn",
            Platform = "illumos",
            Zones = [new Zone { Id = Sick, Kind = ZoneKind.IllumosZone, Name = Sick, Lwps = 10, LwpLimit = 400, Pressure = new ZonePressure { ProcessTableFailures = noproc } }],
        };
        var engine = new RuleEngine(RuleFactory.Create(new RulesSettings()), TimeSpan.FromMinutes(30));
        engine.Evaluate(Poll(0, 0));
        var finding = Assert.Single(engine.Evaluate(Poll(1, 5)).Findings, f => f.Rule == RuleIds.HostLimits && f.Service == "process-table");
        var hint = Assert.Single(finding.Hints);
        ToolSource.CheckHint(Words(hint));
    }

    [Theory]
    [InlineData("prctl -n zone.max-lwps -r -i zone z")]                                  // -r without -v
    [InlineData("prctl -n zone.max-lwps -v 700 -t privileged -r -s -i zone z")]          // -s and -r
    [InlineData("prctl -n zone.max-lwps -v 700 -t privileged -r -i project z")]          // a zone rctl on a project
    [InlineData("prctl -n zone.max-lwp -v 700 -t privileged -r -i zone z")]              // no such rctl
    [InlineData("prctl -n zone.max-lwps -v 700 -t privileged -r -i zone")]               // no operand
    [InlineData("vmadm update 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90 transition_expire=1")] // not updatable
    [InlineData("vmadm update max_lwps=700 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90")]       // uuid first
    [InlineData("vmadm reboot 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90 -x")]
    [InlineData("vmadm stop 9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90")]                       // not a hint subcommand
    [InlineData("ps -e -o zone,pid,lwps,args")]                                          // lwps is not a ps field
    [InlineData("ps -e -o zone,pid -q")]
    [InlineData("zonecfg -z z info")]
    public void TheHintGuardRefusesWhatTheToolsRefuse(string command)
    {
        Assert.ThrowsAny<Exception>(() => ToolSource.CheckHint(command.Split(' ')));
    }
}
