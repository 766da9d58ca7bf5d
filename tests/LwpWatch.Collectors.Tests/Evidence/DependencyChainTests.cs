using LwpWatch.Collectors.Evidence;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using Xunit;

namespace LwpWatch.Collectors.Tests.Evidence;

/// <summary>
/// The dependency verdict an illumos finding's evidence carries: the "Path:" block of <c>svcs -xv</c> (real sample
/// from the illumos svcs(1) man page, Fixtures/illumos/real/svcs-xv/, source in its first line) read as the chain
/// from the service to the one that keeps it offline, each hop with its state in the finding's zone.
/// </summary>
public sealed class DependencyChainTests
{
    private const string Client = "svc:/network/nfs/client:default";
    private const string Nlockmgr = "svc:/network/nfs/nlockmgr:default";
    private const string Status = "svc:/network/nfs/status:default";
    private const string Other = "7e2f1c6a-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

    private static string Sample()
    {
        // The first line names the sample's source; svcs never prints it.
        var text = Fixture.Text("illumos/real/svcs-xv/illumos-man-svcs1-xv-nfs-client.txt");
        return text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..];
    }

    private static async Task<IReadOnlyList<EvidenceItem>> GatherAsync(string zone, string svcsOutput, params ServiceState[] services)
    {
        var io = new FakeHostSource().Command(["svcs", "-xv", "-z", zone, Client], svcsOutput);
        var snapshot = new Snapshot
        {
            TakenAt = DateTimeOffset.UnixEpoch,
            Host = "cn",
            Platform = "illumos",
            Zones = [new Zone { Id = zone, Kind = ZoneKind.IllumosZone, Name = zone, ZonePath = "" }],
            Services = [.. services],
        };
        var finding = new Finding { Rule = RuleIds.ServiceStuck, ZoneId = zone, Service = Client, Severity = Severity.Warning, Since = snapshot.TakenAt, Summary = "t" };
        return await new EvidenceGatherer(io, new LwpWatchOptions()).GatherAsync(finding, snapshot, TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    private static ServiceState S(string zone, string fmri, string state) => new() { ZoneId = zone, Name = fmri, State = state };

    [Fact]
    public async Task TheRealPathBlockIsTheChainAndItsLastHopInTheSameZoneIsTheCause()
    {
        var items = await GatherAsync("global", Sample(),
            S("global", Client, "offline"), S("global", Nlockmgr, "offline"), S("global", Status, "maintenance"),
            // The same FMRI in another zone is another service: its state must not be taken.
            S(Other, Status, "online"), S(Other, Nlockmgr, "online"));

        var chain = Assert.Single(items, i => i.Title == "dependency chain");
        Assert.Null(chain.Error);
        Assert.Equal(
            $"{Client} (offline) needs {Nlockmgr} (offline) needs {Status} (maintenance)\n" +
            $"verdict dependency: {Client} waits on {Status} (maintenance)\n",
            chain.Text);
        // See still holds only See lines: the Path block was not glued onto the man page reference before it.
        var svcs = Assert.Single(items, i => i.Title == "svcs -xv");
        Assert.Equal(0, svcs.ExitCode);
    }

    [Fact]
    public async Task AServiceMissingFromTheListingIsNamedWithoutAState()
    {
        var items = await GatherAsync("global", Sample(), S("global", Status, "maintenance"));
        var chain = Assert.Single(items, i => i.Title == "dependency chain");
        Assert.Equal(
            $"{Client} needs {Nlockmgr} needs {Status} (maintenance)\nverdict dependency: {Client} waits on {Status} (maintenance)\n",
            chain.Text);
    }

    [Fact]
    public async Task AServiceInTransitionHasNoPathSoNoChainIsMadeUp()
    {
        // explain.c print_reasons(): offline with next state online prints "Start method is running.", no Path.
        var text = Fixture.Text("illumos/svcs-xv.txt");
        var items = await GatherAsync("global", text, S("global", Client, "offline"));
        Assert.DoesNotContain(items, i => i.Title == "dependency chain");
    }
}
