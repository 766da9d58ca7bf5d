using System.Collections.Immutable;
using System.Text;
using LwpWatch.Collectors.Illumos;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

/// <summary>
/// /etc/zones/&lt;zonename&gt;.xml: real smartos-live test data and the incident zone (Fixtures/illumos/SOURCE.md).
/// The expected values of the real files are those of vmload's own expected output for them
/// (smartos-live src/vm/tests/testdata/vmload-xml/&lt;name&gt;.json @ 059ec272: max_lwps, alias, state,
/// transition_to, transition_expire), so this parser agrees with the one vmadm uses.
/// </summary>
public sealed class ZoneXmlParserTests
{
    private static ZoneConfig Parse(string file) => ZoneXmlParser.Parse(File.ReadAllBytes(Fixture.PathOf("illumos/zones-xml/" + file)), file);

    private static ZoneConfig ParseText(string xml) => ZoneXmlParser.Parse(Encoding.UTF8.GetBytes(xml), "/etc/zones/t.xml");

    private static string Zone(string body, string name = "t") =>
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE zone PUBLIC \"-//Sun Microsystems Inc//DTD Zones//EN\" \"file:///usr/share/lib/xml/dtd/zonecfg.dtd.1\">\n<zone name=\"{name}\" zonepath=\"/zones/{name}\" brand=\"joyent\">\n{body}</zone>\n";

    [Fact]
    public void TheIncidentZoneWhileProvisioning()
    {
        var z = Parse("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90.xml");
        Assert.Equal("9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", z.Name);
        Assert.Equal("/zones/9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90", z.ZonePath);
        Assert.Equal("joyent", z.Brand);
        Assert.Equal(400, z.MaxLwps);
        Assert.Equal("delegate-test-7", z.Alias);
        Assert.Equal(new ZoneTransition("provisioning", "running", DateTimeOffset.FromUnixTimeMilliseconds(1757322592000)), z.Transition);
        Assert.True(z.Provisioning);
        Assert.Null(z.Failed);
        Assert.Empty(z.Problems);
    }

    [Fact]
    public void ARealJoyentZoneWithTheRctlsAfterOtherElementsAndABase64Alias()
    {
        var z = Parse("c673ec7c-aca9-4a4c-a4be-52fa82b2f0cd.xml");
        Assert.Equal(2000, z.MaxLwps);
        Assert.Equal("abc-defgh1-slave-ijkL-0", z.Alias);
        Assert.Null(z.Transition);
        Assert.False(z.Provisioning);
        Assert.Empty(z.Problems);
    }

    [Fact]
    public void TheFullestRealZoneHasEveryElementKindInterleavedAndIsStopping()
    {
        // vmload's maximal-joyent.json: max_lwps 2000, alias "the works", state "stopping", transition_to
        // "stopped", transition_expire 2147483647 - a transition that is not a provision.
        var z = Parse("maximal-joyent.xml");
        Assert.Equal(("e9f6d7c2-49c5-4b54-9414-ca1405663e4f", 2000L, "the works"), (z.Name, z.MaxLwps!.Value, z.Alias!));
        Assert.Equal(new ZoneTransition("stopping", "stopped", DateTimeOffset.FromUnixTimeMilliseconds(2147483647)), z.Transition);
        Assert.Empty(z.Problems);
    }

    [Fact]
    public void TheSmallestRealZoneHasNoCapAndNoAlias()
    {
        var z = Parse("minimal-joyent.xml");
        Assert.Equal("073ae53b-c444-4e23-866b-10f99f276242", z.Name);
        Assert.Null(z.MaxLwps);
        Assert.Null(z.Alias);
        Assert.Null(z.Transition);
    }

    [Fact]
    public void ARealLxZoneHasNoCapNoAliasNoTransition()
    {
        var z = Parse("lx.xml");
        Assert.Equal(("lx-zone", "lx"), (z.Name, z.Brand!));
        Assert.Null(z.MaxLwps);
        Assert.Null(z.Alias);
        Assert.Null(z.Transition);
        Assert.Empty(z.Problems);
    }

    [Fact]
    public void VmloadsGarbageFileIsAParseErrorHereToo()
    {
        // smartos-live testdata/vmload-xml/garbage.xml is the 8 bytes "GARBAGE\n"; vmload answers PARSE_ERROR.
        var ex = Assert.Throws<ParseException>(() => ZoneXmlParser.Parse("GARBAGE\n"u8.ToArray(), "garbage.xml"));
        Assert.Contains("not well-formed XML", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainIllumosZonecfgOutputHasOnlyTheCap()
    {
        var z = ParseText(Zone("  <rctl name=\"zone.max-lwps\">\n    <rctl-value priv=\"privileged\" limit=\"3000\" action=\"deny\"/>\n  </rctl>\n", "web"));
        Assert.Equal(("web", 3000L), (z.Name, z.MaxLwps!.Value));
        Assert.Null(z.Alias);
        Assert.Null(z.Transition);
        Assert.Empty(z.Problems);
    }

    [Theory]
    [InlineData("<rctl-value priv=\"privileged\" limit=\"400\" action=\"deny\"/>", 400L)]
    [InlineData("<rctl-value priv=\"basic\" limit=\"10\" action=\"deny\"/><rctl-value priv=\"privileged\" limit=\"400\" action=\"deny\"/>", 400L)]
    [InlineData("<rctl-value priv=\"privileged\" limit=\"400\" action=\"none\"/>", null)]
    [InlineData("<rctl-value priv=\"privileged\" limit=\"900\" action=\"deny\"/><rctl-value priv=\"privileged\" limit=\"400\" action=\"deny\"/>", 400L)]
    public void TheCapIsThePrivilegedDenyValue(string values, long? expected)
    {
        Assert.Equal(expected, ParseText(Zone($"  <rctl name=\"zone.max-lwps\">{values}</rctl>\n")).MaxLwps);
    }

    [Fact]
    public void OtherRctlsAreNotTheLwpCap()
    {
        Assert.Null(ParseText(Zone("  <rctl name=\"zone.max-processes\"><rctl-value priv=\"privileged\" limit=\"400\" action=\"deny\"/></rctl>\n")).MaxLwps);
    }

    [Theory]
    [InlineData("provisioning:running:1757322592000", "provisioning")]
    [InlineData("provisioning:running:1757322592000  ", "provisioning")] // rtrim first, as vmload-xml.js does
    public void AThreeFieldTransitionIsTheDeadline(string value, string state)
    {
        var z = ParseText(Zone($"  <attr name=\"transition\" type=\"string\" value=\"{value}\"/>\n"));
        Assert.Equal(state, z.Transition!.State);
        Assert.Equal(1757322592000, z.Transition.Expire.ToUnixTimeMilliseconds());
        Assert.Empty(z.Problems);
    }

    [Theory]
    [InlineData("provisioning:running")]
    [InlineData("provisioning:running:1757322592000:extra")]
    [InlineData("provisioning:running:soon")]
    [InlineData("provisioning:running:-5")]
    [InlineData(":running:1757322592000")]
    public void AnyOtherTransitionIsIgnoredWithAProblem(string value)
    {
        var z = ParseText(Zone($"  <attr name=\"transition\" type=\"string\" value=\"{value}\"/>\n"));
        Assert.Null(z.Transition);
        Assert.Single(z.Problems);
    }

    [Fact]
    public void FailedProvisioningIsRead()
    {
        var z = ParseText(Zone("  <attr name=\"failed\" type=\"string\" value=\"provisioning\"/>\n"));
        Assert.Equal("provisioning", z.Failed);
    }

    [Theory]
    [InlineData("ZGVsZWdhdGUtdGVzdC03", "delegate-test-7")]
    [InlineData("w6lww6k=", "\u00e9p\u00e9")] // UTF-8 of "épé"
    [InlineData("", null)]
    public void AliasIsBase64OfUtf8(string b64, string? expected)
    {
        Assert.Equal(expected, ParseText(Zone($"  <attr name=\"alias\" type=\"string\" value=\"{b64}\"/>\n")).Alias);
    }

    [Theory]
    [InlineData("not base64!", "not base64")]
    [InlineData("/w==", "not valid UTF-8")] // 0xFF
    [InlineData("YQpi", "U+000A")] // "a\nb": a newline would forge a second line wherever the alias is shown
    [InlineData("YRtbMm1i", "U+001B")] // ESC
    [InlineData("YeKArmI=", "U+202E")] // right-to-left override
    public void AHostileAliasIsRefusedWithAProblemAndTheZoneIsStillRead(string b64, string problem)
    {
        var z = ParseText(Zone($"  <attr name=\"alias\" type=\"string\" value=\"{b64}\"/>\n  <rctl name=\"zone.max-lwps\"><rctl-value priv=\"privileged\" limit=\"400\" action=\"deny\"/></rctl>\n"));
        Assert.Null(z.Alias);
        Assert.Equal(400, z.MaxLwps);
        Assert.Contains(problem, Assert.Single(z.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void AnOverlongAliasIsRefused()
    {
        var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('a', ZoneXmlParser.MaxAliasChars + 1)));
        var z = ParseText(Zone($"  <attr name=\"alias\" type=\"string\" value=\"{b64}\"/>\n"));
        Assert.Null(z.Alias);
        Assert.Contains("longer than", Assert.Single(z.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void TheDocumentTypeIsNeverFetchedNorAreEntitiesExpanded()
    {
        // An internal subset with an external entity: ignored, never resolved (no file is read, nothing is expanded).
        var xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE zone [<!ENTITY x SYSTEM \"file:///etc/shadow\">]>\n<zone name=\"t\"><attr name=\"alias\" value=\"YQ==\"/></zone>\n";
        Assert.Equal("a", ParseText(xml).Alias);
        var withRef = "<?xml version=\"1.0\"?>\n<!DOCTYPE zone [<!ENTITY x SYSTEM \"file:///etc/shadow\">]>\n<zone name=\"t\"><attr name=\"alias\" value=\"&x;\"/></zone>\n";
        Assert.Throws<ParseException>(() => ParseText(withRef));
    }

    [Theory]
    [InlineData("", "not well-formed")]
    [InlineData("<zone name=\"t\">", "not well-formed")]
    [InlineData("<?xml version=\"1.0\"?><project name=\"t\"/>", "not <zone>")]
    [InlineData("<?xml version=\"1.0\"?><zone zonepath=\"/zones/t\"/>", "no name")]
    public void NotAZoneDocumentIsANamedParseError(string xml, string problem)
    {
        var ex = Assert.Throws<ParseException>(() => ParseText(xml));
        Assert.Equal("/etc/zones/t.xml", ex.Input);
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileLargerThanAnyZoneFileIsRefused()
    {
        var ex = Assert.Throws<ParseException>(() => ZoneXmlParser.Parse(new byte[ZoneXmlParser.MaxBytes + 1], "/etc/zones/t.xml"));
        Assert.Contains("larger than any zone file", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeAliasIsStrictWhereNodeIsLenient()
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        Assert.Null(ZoneXmlParser.DecodeAlias("ZGVsZWdhdGUtdGVzdC03!!", problems));
        Assert.Single(problems);
    }
}
