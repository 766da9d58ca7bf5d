using LwpWatch.Collectors.Evidence;
using LwpWatch.Collectors.Illumos;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using Xunit;

namespace LwpWatch.Collectors.Tests.Illumos;

/// <summary>
/// What each illumos tool accepts, as read out of its source (Fixtures/illumos/tool-source/, SOURCE.md names
/// repo, path and commit). The argv LwpWatch runs must pass these checks: this is the test that would have
/// caught `vmadm list -o ...,transition_expire,...`, which real vmadm refuses.
/// </summary>
internal static class ToolSource
{
    public static IReadOnlyDictionary<string, string> Read(string tool)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Fixture.PathOf($"illumos/tool-source/{tool}.txt")))
        {
            if (line.StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            result[line[..colon]] = line[(colon + 2)..];
        }

        Assert.StartsWith("# source: ", File.ReadAllLines(Fixture.PathOf($"illumos/tool-source/{tool}.txt"))[0], StringComparison.Ordinal);
        return result;
    }

    /// <summary>
    /// POSIX getopt(3) over <paramref name="args"/> with the tool's option string: every option known, every
    /// option that takes an argument given one. Returns the options seen (letter, argument) and the operands.
    /// </summary>
    public static (List<(char Letter, string? Arg)> Options, List<string> Operands) Getopt(string optstring, IReadOnlyList<string> args)
    {
        var options = new List<(char, string?)>();
        var i = 0;
        for (; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                i++;
                break;
            }

            if (a.Length < 2 || a[0] != '-')
            {
                break;
            }

            for (var j = 1; j < a.Length; j++)
            {
                var at = optstring.IndexOf(a[j], StringComparison.Ordinal);
                Assert.True(at >= 0 && a[j] != ':', $"option -{a[j]} is not in the tool's option string '{optstring}'");
                if (at + 1 < optstring.Length && optstring[at + 1] == ':')
                {
                    var value = j + 1 < a.Length ? a[(j + 1)..] : ++i < args.Count ? args[i] : null;
                    Assert.True(value is not null, $"option -{a[j]} needs an argument");
                    options.Add((a[j], value));
                    break;
                }

                options.Add((a[j], null));
            }
        }

        return (options, [.. args.Skip(i)]);
    }

    public static void CheckSvcs(IReadOnlyList<string> argv)
    {
        var src = Read("svcs");
        var (options, _) = Getopt(src["options"], argv.Skip(1).ToList());
        var letters = options.Select(o => o.Letter).ToList();
        var modes = letters.Where(l => src["mode-letters"].Contains(l, StringComparison.Ordinal)).Distinct().ToList();
        Assert.True(modes.Count <= 1, $"{string.Join(' ', argv)}: two modes {string.Join(",", modes)}");
        if (modes is ['x'])
        {
            Assert.DoesNotContain(letters, l => src["not-with-x"].Contains(l, StringComparison.Ordinal));
        }

        Assert.False(letters.Contains('Z') && letters.Contains('z'), "-Z and -z are exclusive");
        var columns = src["columns"].Split(' ');
        foreach (var (_, arg) in options.Where(o => o.Letter == 'o'))
        {
            foreach (var c in arg!.Split(','))
            {
                Assert.Contains(columns, k => string.Equals(k, c, StringComparison.OrdinalIgnoreCase)); // getcolumnopt: strcasecmp
            }
        }
    }

    public static void CheckKstat(IReadOnlyList<string> argv)
    {
        var src = Read("kstat");
        var (_, operands) = Getopt(src["options"], argv.Skip(1).ToList());
        Assert.NotEmpty(operands);
        foreach (var o in operands)
        {
            Assert.True(o.Split(':').Length <= int.Parse(src["selector-fields-max"], System.Globalization.CultureInfo.InvariantCulture), $"selector {o}");
        }
    }

    public static void CheckZoneadm(IReadOnlyList<string> argv)
    {
        var src = Read("zoneadm");
        Assert.Equal("list", argv[1]);
        var (options, operands) = Getopt(src["list"].TrimStart('-'), argv.Skip(2).ToList());
        Assert.Empty(operands);
        Assert.Contains(options, o => o.Letter == 'p');
    }

    public static void CheckVmadmList(IReadOnlyList<string> argv)
    {
        var fields = Read("vmadm")["list-fields"].Split(' ');
        var o = argv.ToList().IndexOf("-o");
        foreach (var f in argv[o + 1].Split(','))
        {
            Assert.True(fields.Contains(f, StringComparer.Ordinal), $"invalid order field: {f}");
        }
    }

    /// <summary>prctl.c main(): known idtype and privilege, -r and -s need -v, -s/-r/-x exclusive, at least one operand.</summary>
    public static void CheckPrctl(IReadOnlyList<string> argv)
    {
        var src = Read("prctl");
        var (options, operands) = Getopt(src["options"], argv.Skip(1).ToList());
        string? Arg(char letter) => options.LastOrDefault(o => o.Letter == letter).Arg;
        var letters = options.Select(o => o.Letter).ToList();
        Assert.True(operands.Count >= 1, "prctl: no arguments specified");
        Assert.True(letters.Count(l => l is 's' or 'r' or 'x') <= 1, "options -s, -r, and -x are exclusive");
        Assert.False((letters.Contains('r') || letters.Contains('s')) && Arg('v') is null, "option -r/-s requires use of option -v");
        Assert.False(letters.Contains('P') && (letters.Contains('r') || letters.Contains('s') || letters.Contains('x')), "-P not valid when manipulating resource control values");
        if (Arg('i') is { } idtype)
        {
            Assert.Contains(idtype, src["idtypes"].Split(' '));
        }

        if (Arg('t') is { } priv)
        {
            Assert.Contains(priv, src["privileges"].Split(' '));
        }

        if (Arg('n') is { } name && name.StartsWith("zone.", StringComparison.Ordinal))
        {
            Assert.Contains(name, src["zone-rctls"].Split(' '));
            Assert.True(Arg('i') is "zone" or "zoneid", $"{name} is a zone rctl: -i zone");
        }

        if (Arg('v') is { } v)
        {
            Assert.True(long.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0, $"-v {v}");
        }
    }

    /// <summary>vmadm.8.md SYNOPSIS: get &lt;uuid&gt;, reboot &lt;uuid&gt; [-F], update &lt;uuid&gt; property=value..., only updatable properties.</summary>
    public static void CheckVmadm(IReadOnlyList<string> argv)
    {
        var src = Read("vmadm");
        var sub = argv[1];
        Assert.Contains(sub, src["subcommands"].Split(' '));
        Assert.True(argv.Count >= 3 && Guid.TryParseExact(argv[2], "D", out _), $"vmadm {sub} takes a VM uuid first, got '{(argv.Count > 2 ? argv[2] : "")}'");
        var rest = argv.Skip(3).ToList();
        switch (sub)
        {
            case "get":
                Assert.Empty(rest);
                break;
            case "reboot":
                Assert.True(rest.Count == 0 || rest is ["-F"], "vmadm reboot <uuid> [-F]");
                break;
            default:
                Assert.NotEmpty(rest);
                foreach (var kv in rest)
                {
                    var eq = kv.IndexOf('=', StringComparison.Ordinal);
                    Assert.True(eq > 0, $"vmadm update takes property=value, got '{kv}'");
                    Assert.Contains(kv[..eq], src["updatable"].Split(' '));
                    Assert.True(long.TryParse(kv[(eq + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _), kv);
                }

                break;
        }
    }

    /// <summary>ps.c main(): known options, -o names from fname[], no operand.</summary>
    public static void CheckPs(IReadOnlyList<string> argv)
    {
        var src = Read("ps");
        var (options, operands) = Getopt(src["options"], argv.Skip(1).ToList());
        Assert.Empty(operands);
        var fields = src["fields"].Split(' ');
        foreach (var (_, arg) in options.Where(o => o.Letter == 'o'))
        {
            foreach (var f in arg!.Split(',', ' '))
            {
                Assert.Contains(f.Split('=')[0], fields);
            }
        }
    }

    /// <summary>A command LwpWatch prints for an operator to paste on an illumos node.</summary>
    public static void CheckHint(IReadOnlyList<string> argv)
    {
        switch (argv[0])
        {
            case "svcs":
                CheckSvcs(argv);
                break;
            case "prctl":
                CheckPrctl(argv);
                break;
            case "vmadm":
                CheckVmadm(argv);
                break;
            case "ps":
                CheckPs(argv);
                break;
            default:
                Assert.Fail($"LwpWatch printed '{string.Join(' ', argv)}' for illumos, a tool with no tool-source fixture");
                break;
        }
    }

    public static void Check(IReadOnlyList<string> argv)
    {
        switch (argv[0])
        {
            case "svcs":
                CheckSvcs(argv);
                break;
            case "kstat":
                CheckKstat(argv);
                break;
            case "zoneadm":
                CheckZoneadm(argv);
                break;
            default:
                Assert.Fail($"LwpWatch ran '{string.Join(' ', argv)}', a tool with no tool-source fixture (on illumos it runs only zoneadm, kstat and svcs)");
                break;
        }
    }
}

public sealed class ToolArgvGuardTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";

    [Fact]
    public void EveryArgvThePollRunsIsOneTheToolAccepts()
    {
        foreach (var argv in new[] { ZoneadmCollector.Argv, KstatCollector.ZonesArgv, KstatCollector.CapsArgv, SvcsCollector.Argv })
        {
            ToolSource.Check(argv);
        }
    }

    [Fact]
    public async Task EveryArgvAPollAndTheEvidenceRunIsCheckedNoneIsVmadmOrPrctl()
    {
        var io = new FakeHostSource()
            .Command(ZoneadmCollector.Argv, Fixture.Text("illumos/zoneadm-list-pc.txt"))
            .Command(KstatCollector.ZonesArgv, Fixture.Text("illumos/kstat-zones.txt"))
            .Command(KstatCollector.CapsArgv, Fixture.Text("illumos/kstat-caps.txt"))
            .Command(SvcsCollector.Argv, Fixture.Text("illumos/svcs-Z-o.txt"))
            .File("/proc/1/psinfo", PsinfoParserTests.Build(1, 0, 1, "init", "/sbin/init"));
        var options = new LwpWatchOptions();
        var snapshot = await new Poller(CollectorFactory.Create(CollectorFactory.Illumos, options, io), TimeProvider.System, "cn", "illumos", TimeSpan.FromSeconds(30)).PollAsync(CancellationToken.None);
        foreach (var service in new[] { "svc:/system/filesystem/local:default", null })
        {
            var finding = new Finding { Rule = "cap-starvation", ZoneId = Sick, Service = service, Severity = Severity.Critical, Since = snapshot.TakenAt, Summary = "t" };
            await new EvidenceGatherer(io, options).GatherAsync(finding, snapshot, TimeSpan.FromSeconds(5), CancellationToken.None);
        }

        Assert.True(io.Runs.Count >= 6);
        foreach (var argv in io.Runs)
        {
            ToolSource.Check(argv);
        }
    }

    [Fact]
    public void TheGuardRefusesTheArgvThatBrokeRealNodes()
    {
        // The earlier design contract's vmadm argv: real vmadm exits 1 with "invalid order field: transition_expire".
        var ex = Assert.ThrowsAny<Exception>(() => ToolSource.CheckVmadmList(["vmadm", "list", "-p", "-o", "uuid,state,zone_state,max_lwps,zonepath,transition_expire,alias"]));
        Assert.Contains("invalid order field: transition_expire", ex.Message, StringComparison.Ordinal);
        ToolSource.CheckVmadmList(["vmadm", "list", "-p", "-o", "uuid,state,zone_state,max_lwps,zonepath,alias"]);
    }

    [Theory]
    [InlineData("svcs -Z -a -H -o zone,state,nstate,stime,fmri,lwps")]
    [InlineData("svcs -xv -H -z z")]
    [InlineData("svcs -Z -z z -a")]
    [InlineData("svcs -Z -a -H -o")]
    [InlineData("kstat -p zones:::::")]
    [InlineData("kstat -w zones:::")]
    [InlineData("zoneadm list -pcx")]
    [InlineData("prctl -P -n zone.max-lwps -i zone z")]
    [InlineData("vmadm list -p")]
    public void TheGuardRefusesWhatTheToolsRefuse(string command)
    {
        Assert.ThrowsAny<Exception>(() => ToolSource.Check(command.Split(' ')));
    }
}
