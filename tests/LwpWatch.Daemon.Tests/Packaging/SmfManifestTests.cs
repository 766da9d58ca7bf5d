using System.Xml;
using System.Xml.Linq;
using Xunit;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>
/// packaging/smf/lwpwatch.xml: well-formed, and carries what `svccfg import` and the global zone need. The DTD
/// lives on illumos hosts only, so it is not fetched; the element order it imposes on &lt;service&gt; is
/// checked here instead, since svccfg rejects a manifest that breaks it.
/// </summary>
public sealed class SmfManifestTests
{
    private static readonly string Manifest = Repo.Path("packaging", "smf", "lwpwatch.xml");

    // The content model of <service> in service_bundle.dtd.1, in order.
    private static readonly string[] ServiceOrder =
        ["create_default_instance", "single_instance", "restarter", "dependency", "dependent", "method_context", "exec_method", "notification_parameters", "property_group", "instance", "stability", "template"];

    [Fact]
    public void Manifest_is_well_formed_and_declares_the_dtd()
    {
        var doc = Load();
        Assert.Equal("service_bundle", doc.DocumentType?.Name);
        Assert.Equal("/usr/share/lib/xml/dtd/service_bundle.dtd.1", doc.DocumentType?.SystemId);
        Assert.Equal("service_bundle", doc.Root!.Name.LocalName);
        Assert.Equal("manifest", (string?)doc.Root.Attribute("type"));
    }

    [Fact]
    public void Service_depends_on_network_and_local_filesystems()
    {
        var service = Service();
        var deps = service.Elements("dependency").ToList();
        foreach (var fmri in new[] { "svc:/network/physical", "svc:/system/filesystem/local" })
        {
            var dep = Assert.Single(deps, d => d.Elements("service_fmri").Any(f => (string?)f.Attribute("value") == fmri));
            Assert.Equal("require_all", (string?)dep.Attribute("grouping"));
            Assert.Equal("service", (string?)dep.Attribute("type"));
            Assert.NotNull(dep.Attribute("restart_on"));
        }
    }

    [Fact]
    public void Start_and_stop_methods_have_timeouts_and_start_reads_the_config_property()
    {
        var service = Service();
        var start = Method(service, "start");
        Assert.Equal("/opt/lwpwatch/bin/lwpwatch run --config %{config/file}", (string?)start.Attribute("exec"));
        Assert.True((int)start.Attribute("timeout_seconds")! > 0);
        var stop = Method(service, "stop");
        Assert.Equal(":kill", (string?)stop.Attribute("exec"));
        Assert.True((int)stop.Attribute("timeout_seconds")! > 0);
        Assert.Equal(":kill -HUP", (string?)Method(service, "refresh").Attribute("exec"));

        var config = PropertyGroup(service, "config");
        Assert.Equal("application", (string?)config.Attribute("type"));
        var file = Assert.Single(config.Elements("propval"), p => (string?)p.Attribute("name") == "file");
        Assert.Equal("/etc/lwpwatch/lwpwatch.yaml", (string?)file.Attribute("value"));
    }

    [Fact]
    public void Duration_is_child_so_smf_supervises_the_foreground_daemon()
    {
        var startd = PropertyGroup(Service(), "startd");
        Assert.Equal("framework", (string?)startd.Attribute("type"));
        var duration = Assert.Single(startd.Elements("propval"), p => (string?)p.Attribute("name") == "duration");
        Assert.Equal("child", (string?)duration.Attribute("value"));
    }

    [Fact]
    public void Service_children_follow_the_dtd_order()
    {
        var last = -1;
        foreach (var child in Service().Elements())
        {
            var index = Array.IndexOf(ServiceOrder, child.Name.LocalName);
            Assert.True(index >= 0, $"<{child.Name.LocalName}> is not allowed in <service>");
            Assert.True(index >= last, $"<{child.Name.LocalName}> comes after <{(last >= 0 ? ServiceOrder[last] : "")}>, the DTD wants it before");
            last = index;
        }
    }

    [Fact]
    public void Runtime_environment_is_the_one_bench_footprint_measured_for_the_jit_build()
    {
        // illumos runs the portable (JIT) build: workstation GC and no tiering (a poll every 15 s keeps tiered
        // code at tier 0 for minutes, then re-JITs it). The Linux unit runs the native binary: no knobs at all.
        var smf = Method(Service(), "start").Descendants("envvar")
            .Select(e => $"{(string?)e.Attribute("name")}={(string?)e.Attribute("value")}")
            .Where(kv => kv.StartsWith("DOTNET_", StringComparison.Ordinal) && !kv.StartsWith("DOTNET_CLI_", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["DOTNET_TieredCompilation=0", "DOTNET_gcServer=0"], smf);
        var unit = File.ReadAllLines(Repo.Path("packaging", "systemd", "lwpwatch.service"));
        Assert.DoesNotContain(unit, l => l.StartsWith("Environment=", StringComparison.Ordinal) && l.Contains("DOTNET_", StringComparison.Ordinal));
    }

    private static XDocument Load()
    {
        // Parse the DOCTYPE but resolve nothing: no resolver means /usr/share/lib/xml/dtd/... (illumos only)
        // is never fetched, and no entity can pull in a file.
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Parse, XmlResolver = null };
        using var reader = XmlReader.Create(Manifest, settings);
        return XDocument.Load(reader, LoadOptions.SetLineInfo);
    }

    private static XElement Service()
    {
        var service = Assert.Single(Load().Root!.Elements("service"));
        Assert.Equal("application/lwpwatch", (string?)service.Attribute("name"));
        Assert.Equal("service", (string?)service.Attribute("type"));
        return service;
    }

    private static XElement Method(XElement service, string name) =>
        Assert.Single(service.Elements("exec_method"), m => (string?)m.Attribute("name") == name && (string?)m.Attribute("type") == "method");

    private static XElement PropertyGroup(XElement service, string name) =>
        Assert.Single(service.Elements("property_group"), p => (string?)p.Attribute("name") == name);
}
