using System.Text;
using LwpWatch.Collectors;
using LwpWatch.Collectors.Capture;
using LwpWatch.Collectors.Illumos;
using LwpWatch.Collectors.Linux;
using LwpWatch.Daemon.Configuration;
using LwpWatch.Daemon.Tests.Packaging;

namespace LwpWatch.Daemon.Tests.Hardening.Fuzz;

/// <summary>
/// Every parser LwpWatch feeds with node output or operator input, with the real-format fixtures in the repo
/// as seeds. Pure parsers may only throw <see cref="ParseException"/>; the config loader never throws (its
/// documented error is a result with Errors); bundles may only throw <see cref="BundleException"/>.
/// </summary>
public static class FuzzTargets
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 9, 30, 0, TimeSpan.Zero);

    public static bool IsParseError(Exception ex) => ex is ParseException;

    public static IReadOnlyList<FuzzTarget> Parsers() =>
    [
        new("kstat", Seeds("tests/LwpWatch.Collectors.Tests/Fixtures/illumos/kstat-zones.txt", "tests/LwpWatch.Collectors.Tests/Fixtures/illumos/kstat-caps.txt"), b =>
        {
            var values = KstatParser.Parse(Text(b), "kstat -p zones:::").Values;
            Try(() => ZonesKstatParser.Parse(values, "kstat -p zones:::"));
            CapsKstatParser.Parse(values, "kstat -p caps:::");
        }, IsParseError),
        new("svcs", Seeds("tests/LwpWatch.Collectors.Tests/Fixtures/illumos/svcs-Z-o.txt", "tests/LwpWatch.Collectors.Tests/Fixtures/illumos/svcs-Z.txt"), b =>
        {
            SvcsParser.Parse(Text(b), Now);
            SvcsParser.Warnings(Text(b));
        }, IsParseError),
        new("svcs-xv", Seeds("tests/LwpWatch.Collectors.Tests/Fixtures/illumos/svcs-xv.txt", "tests/LwpWatch.Collectors.Tests/Fixtures/illumos/real/svcs-xv/illumos-man-svcs1-xv-nfs-client.txt"), b => SvcsExplainParser.Parse(Text(b), "svcs -xv"), IsParseError),
        new("zoneadm", Seeds("tests/LwpWatch.Collectors.Tests/Fixtures/illumos/zoneadm-list-pc.txt"), b => ZoneadmParser.Parse(Text(b)), IsParseError),
        new("zone-xml", Seeds("tests/LwpWatch.Collectors.Tests/Fixtures/illumos/zones-xml/9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90.xml", "tests/LwpWatch.Collectors.Tests/Fixtures/illumos/zones-xml/maximal-joyent.xml", "tests/LwpWatch.Collectors.Tests/Fixtures/illumos/zones-xml/lx.xml"), b => ZoneXmlParser.Parse(b, "/etc/zones/fuzz.xml"), IsParseError),
        new("psinfo", PsinfoSeeds(), b =>
        {
            PsinfoParser.Parse(b, "/proc/1/psinfo");
            PsinfoParser.Parse(b, "/proc/1/psinfo", expectedPid: 1);
        }, IsParseError),
        new("cgroup-pids", CgroupSeeds(), b =>
        {
            var s = Text(b);
            Try(() => CgroupFileParser.ParseMax(s, "pids.max"));
            Try(() => CgroupFileParser.ParseMax((ReadOnlySpan<byte>)b, "pids.max"));
            Try(() => CgroupFileParser.ParseCount(s, "pids.current"));
            Try(() => CgroupFileParser.ParseCount((ReadOnlySpan<byte>)b, "pids.current"));
            Try(() => CgroupFileParser.ParseEventsMax(s, "pids.events"));
            Try(() => CgroupFileParser.ParseEventsMax((ReadOnlySpan<byte>)b, "pids.events"));
            Try(() => CgroupFileParser.ParsePressureSomeAvg10(s, "cpu.pressure"));
            Try(() => HostLimitsParser.ParseLoadavg(s, "/proc/loadavg"));
            Try(() => PressureParser.MemoryEventsFailures(s, "memory.events"));
            Try(() => PressureParser.OomControlKills(s, "memory.oom_control"));
            CgroupPathMapper.Map(s);
        }, IsParseError) { Weight = 20 },
        new("proc-stat", [Encoding.UTF8.GetBytes("4242 (zfs mount) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 5 0 0 20 0 397 0 123456 2000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"), Encoding.UTF8.GetBytes("1 (systemd) S 0 1 1 0 -1 4194560 9 0 0 0 0 0 0 0 20 0 1 0 2 22441984 3172 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"), Encoding.UTF8.GetBytes("99 ((sd-pam) x) ) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n")], b =>
        {
            ProcStatParser.Parse(Text(b), "/proc/4242/stat");
            ProcStatParser.Cmdline(Text(b));
        }, IsParseError),
        new("systemd", Seeds("tests/LwpWatch.Collectors.Tests/Fixtures/systemd/list-units.json", "tests/LwpWatch.Collectors.Tests/Fixtures/systemd/getall-stuck-notify.json", "tests/LwpWatch.Collectors.Tests/Fixtures/systemd/getall-root-slice.json", "tests/LwpWatch.Collectors.Tests/Fixtures/systemd/uptime"), b =>
        {
            var s = Text(b);
            Try(() => SystemdBusParser.ParseListUnits(s, "D-Bus ListUnits"));
            Try(() => SystemdBusParser.ParseProperties(s, "D-Bus GetAll"));
            Try(() => SystemdBusParser.ParseUptimeSeconds(s, "/proc/uptime"));
        }, IsParseError) { Weight = 5 },
        new("config", ConfigSeeds(), b =>
        {
            // The documented error of the loader is a result listing every problem; it never throws.
            var r = ConfigLoader.LoadText(Text(b), "fuzz.yaml");
            _ = r.Options.ToString();
        }, _ => false) { Weight = 5 },
    ];

    /// <summary>
    /// Mutates one file of a real bundle at a time (bundle.json, poll.json, files.json, commands.json) and
    /// opens and reads it the way replay does; the only allowed failure is a <see cref="BundleException"/>.
    /// </summary>
    public static FuzzTarget Bundle(string workDir)
    {
        var example = Repo.Path("examples", "triton-fs-local-stuck");
        var root = Path.Combine(workDir, "bundle");
        CopyTree(example, root);
        // One poll keeps each attempt cheap; the other polls' files do not add formats.
        File.WriteAllText(Path.Combine(root, "bundle.json"), File.ReadAllText(Path.Combine(root, "bundle.json")).Replace("\"polls\":8", "\"polls\":1", StringComparison.Ordinal).Replace("\"polls\": 8", "\"polls\": 1", StringComparison.Ordinal));
        string[] names = ["bundle.json", "polls/0001/poll.json", "polls/0001/files.json", "polls/0001/commands.json"];
        var originals = names.Select(n => File.ReadAllBytes(Path.Combine(root, n))).ToArray();
        var commands = new List<IReadOnlyList<string>>();
        using (var doc = System.Text.Json.JsonDocument.Parse(originals[3]))
        {
            foreach (var c in doc.RootElement.EnumerateArray())
            {
                commands.Add([.. c.GetProperty("argv").EnumerateArray().Select(a => a.GetString()!)]);
            }
        }

        var next = 0;
        return new FuzzTarget("bundle", originals, b =>
        {
            // The mutator picks a seed by index; map each input back to the file it came from is not needed:
            // rotate which file receives the mutated bytes, restoring the others.
            var which = next++ % names.Length;
            for (var i = 0; i < names.Length; i++)
            {
                File.WriteAllBytes(Path.Combine(root, names[i]), i == which ? b : originals[i]);
            }

            var reader = BundleReader.Open(root);
            var poll = reader.OpenPoll(1);
            foreach (var argv in commands)
            {
                poll.RunAsync(argv, TimeSpan.FromSeconds(1), CancellationToken.None).GetAwaiter().GetResult();
            }

            poll.ReadText("/proc/loadavg");
            poll.ListDirectories("/proc");
            poll.GetModifiedTime("/zones/9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90/root/var/svc/provisioning");
        }, ex => ex is BundleException) { Weight = 1 };
    }

    public static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    private static void Try(Action a)
    {
        try
        {
            a();
        }
        catch (ParseException)
        {
            // Documented; keep feeding the same input to the next parser.
        }
    }

    private static byte[][] Seeds(params string[] relative) => [.. relative.Select(r => File.ReadAllBytes(Repo.Path(r)))];

    private static byte[][] PsinfoSeeds() =>
        [.. Directory.EnumerateFiles(Repo.Path("examples", "triton-fs-local-stuck", "polls", "0001", "files", "proc"), "psinfo", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(8).Select(File.ReadAllBytes)];

    private static byte[][] CgroupSeeds() =>
        [.. Directory.EnumerateFiles(Repo.Path("tests", "LwpWatch.Collectors.Tests", "Fixtures", "linux"), "pids.*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
         Encoding.UTF8.GetBytes("some avg10=1.50 avg60=0.20 avg300=0.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
         Encoding.UTF8.GetBytes("0.52 0.58 0.59 3/912 4242\n"),
         Encoding.UTF8.GetBytes("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n"),
         Encoding.UTF8.GetBytes("/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope"),
         Encoding.UTF8.GetBytes("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b_3c4d.slice/cri-containerd-0f3e.scope")];

    private static byte[][] ConfigSeeds() =>
        [File.ReadAllBytes(Repo.Path("config", "lwpwatch.yaml")),
         Encoding.UTF8.GetBytes("poll:\n  interval: 15s\nlinux:\n  cgroupRoot: /sys/fs/cgroup\nhttp:\n  listen: http://127.0.0.1:9781\n"),
         Encoding.UTF8.GetBytes("receivers:\n  - name: am\n    type: alertmanager\n    url: http://127.0.0.1:9093/api/v2/alerts\n    timeout: 5s\n"),
         Encoding.UTF8.GetBytes("rules:\n  nearCap:\n    enabled: true\n    warning: 0.85\n")];

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
