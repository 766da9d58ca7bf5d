using LwpWatch.Core.Model;
using LwpWatch.Core.Rules;
using LwpWatch.Daemon.Http;

namespace LwpWatch.Daemon.Tests.Http;

public sealed class ApiJsonTests
{
    /// <summary>
    /// /api/v1/zones written field by field (no reflection, so NativeAOT serves it): the shape the endpoint had
    /// when holders and services were written from their records' properties, nulls included.
    /// </summary>
    [Fact]
    public void Zones_lists_each_zone_with_its_holders_and_services_in_the_documented_shape()
    {
        var t = new DateTimeOffset(2026, 11, 22, 1, 2, 3, TimeSpan.Zero);
        var snapshot = new Snapshot
        {
            TakenAt = t,
            Host = "node1",
            Platform = "linux",
            Zones = [new Zone { Id = "/system.slice/web.service", Kind = "cgroup", Name = "web.service", Lwps = 20, LwpLimit = 20, Denials = 3, Unit = "web.service" }],
            TopHolders = [new ThreadHolder("/system.slice/web.service", 42, "web", "web --port \"80\"", 19)],
            Services =
            [
                new ServiceState { ZoneId = "/system.slice/web.service", Name = "web.service", State = "activating", NextState = "start", InTransition = true, StateSince = t.AddMinutes(-3), Tasks = 20, Dependencies = ["network.target"] },
                new ServiceState { ZoneId = "/system.slice/web.service", Name = "web-helper.service", State = "active" },
            ],
        };

        var json = ApiJson.Zones(new RuleOutcome(snapshot, [], []));

        Assert.Equal(
            "{\"takenAt\":\"2026-11-22T01:02:03Z\",\"host\":\"node1\",\"platform\":\"linux\",\"zones\":[{\"id\":\"/system.slice/web.service\",\"kind\":\"cgroup\",\"name\":\"web.service\","
            + "\"lwps\":20,\"lwpLimit\":20,\"denials\":3,\"ratio\":1,\"unit\":\"web.service\","
            + "\"topHolders\":[{\"zoneId\":\"/system.slice/web.service\",\"pid\":42,\"command\":\"web\",\"args\":\"web --port \\u002280\\u0022\",\"lwps\":19}],"
            + "\"services\":[{\"zoneId\":\"/system.slice/web.service\",\"name\":\"web.service\",\"state\":\"activating\",\"nextState\":\"start\",\"inTransition\":true,\"stateSince\":\"2026-11-22T00:59:03Z\",\"tasks\":20,\"tasksLimit\":null,\"controlGroup\":null,\"dependencies\":[\"network.target\"]},"
            + "{\"zoneId\":\"/system.slice/web.service\",\"name\":\"web-helper.service\",\"state\":\"active\",\"nextState\":null,\"inTransition\":false,\"stateSince\":null,\"tasks\":null,\"tasksLimit\":null,\"controlGroup\":null,\"dependencies\":[]}]}]}",
            json);
    }
}
