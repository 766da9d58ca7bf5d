using LwpWatch.Daemon.Http;
using Microsoft.AspNetCore.Http;

namespace LwpWatch.Daemon.Tests.Http;

/// <summary>Without a token only Host values no DNS rebinding can produce are served.</summary>
public sealed class HostCheckTests
{
    [Theory]
    [InlineData("localhost")]
    [InlineData("LocalHost:9781")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:9781")]
    [InlineData("[::1]")]
    [InlineData("[::1]:9781")]
    [InlineData("10.1.2.3:9781")]
    [InlineData("node1.example.org:9781")]
    public void NamesOfTheDaemonAreServed(string host) =>
        Assert.True(new HostCheck("node1.example.org").Allowed(new HostString(host)));

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:9781")]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("localhost.attacker.example")]
    [InlineData("localhost.")]
    [InlineData("127.1")]
    [InlineData("0x7f000001")]
    [InlineData("2130706433")]
    [InlineData("[localhost]")]
    public void EveryOtherHostIsRefused(string host) =>
        Assert.False(new HostCheck("127.0.0.1").Allowed(new HostString(host)));

    [Fact]
    public void ARequestWithoutHostIsNotFromABrowserAndIsServed() =>
        Assert.True(new HostCheck("127.0.0.1").Allowed(default));
}
