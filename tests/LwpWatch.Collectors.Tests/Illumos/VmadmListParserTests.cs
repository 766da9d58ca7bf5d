using System.Text.Json;
using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

public sealed class VmadmListParserTests
{
    [Fact]
    public void ParsesTheFixture()
    {
        var vms = VmadmListParser.Parse(Fixture.Text("illumos/vmadm-list-p.txt"));
        Assert.Equal(3, vms.Length);
        Assert.Equal(new VmadmEntry("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e", "running", "running", 2000, "/zones/c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e", null, "web-frontend-1"), vms[0]);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1757322592000), vms[1].TransitionExpire);
        Assert.Null(vms[2].Alias);
        Assert.Equal("failed", vms[2].State);
    }

    [Fact]
    public void AgreesWithVmadmGetOfTheSameVm()
    {
        using var get = JsonDocument.Parse(Fixture.Text("illumos/vmadm-get.json"));
        var root = get.RootElement;
        var vm = Assert.Single(VmadmListParser.Parse(Fixture.Text("illumos/vmadm-list-p.txt")), v => v.Uuid == root.GetProperty("uuid").GetString());
        Assert.Equal(root.GetProperty("alias").GetString(), vm.Alias);
        Assert.Equal(root.GetProperty("max_lwps").GetInt64(), vm.MaxLwps);
        Assert.Equal(root.GetProperty("state").GetString(), vm.State);
        Assert.Equal(root.GetProperty("zone_state").GetString(), vm.ZoneState);
        Assert.Equal(root.GetProperty("zonepath").GetString(), vm.ZonePath);
        Assert.Equal(root.GetProperty("transition_expire").GetInt64(), vm.TransitionExpire!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void AliasMayContainColons()
    {
        var vm = Assert.Single(VmadmListParser.Parse("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:2000:/zones/c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e::db:primary:1"));
        Assert.Equal("db:primary:1", vm.Alias);
    }

    [Fact]
    public void EmptyOutputIsANodeWithoutVms() => Assert.Empty(VmadmListParser.Parse(""));

    [Fact]
    public void TheProvisionTimeoutErrorIsNotAListing()
    {
        var ex = Assert.Throws<ParseException>(() => VmadmListParser.Parse(Fixture.Text("illumos/vmadm-timeout-error.txt")));
        Assert.Equal(VmadmListParser.Command, ex.Input);
    }

    [Theory]
    [InlineData("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:2000:/zones/x", "got 5")]
    [InlineData("not-a-uuid:running:running:2000:/zones/x::a", "not a VM uuid")]
    [InlineData("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:lots:/zones/x::a", "max_lwps")]
    [InlineData("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:-5:/zones/x::a", "negative")]
    [InlineData("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:2000:zones/x::a", "not absolute")]
    [InlineData("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:2000:/zones/x:soon:a", "transition_expire")]
    [InlineData("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:2000:/zones/x:999999999999999999:a", "not an epoch")]
    [InlineData("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e::running:2000:/zones/x::a", "empty state")]
    [InlineData("c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:2000:/zones/x::a\nc0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e:running:running:2000:/zones/x::a", "twice")]
    public void MalformedInputIsANamedParseError(string text, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => VmadmListParser.Parse(text));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }
}
