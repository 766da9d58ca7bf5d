using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Support;

namespace LwpWatch.Daemon.Tests.Diagnosis;

/// <summary>
/// Off-VM replays of the `lwpwatch capture` bundles the VM suite (tests/integration/vm) recorded on a real cgroup v2
/// host with systemd 252 as PID 1: real pids.* files and /proc/self/mountinfo, real systemd replies over the bus
/// (bus.json), real Docker containers. Fixtures/vm/*/SOURCE.md says where each bundle comes from. Every expected value
/// is read from the bundle's own recorded kernel files or from SOURCE.json (what each workload needs), never from
/// LwpWatch's output; the hints are split as a POSIX shell splits them (<see cref="ShellWords"/>).
/// </summary>
public sealed partial class VmReplayTests
{
    private const string Cg = "/sys/fs/cgroup";

    private static string Root
    {
        get
        {
            // Read in place from the source tree: the recorded cgroup names hold backslashes (systemd's own "\x2d",
            // written "\x5c" by LwpWatch), which MSBuild would take for path separators if it copied them.
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LwpWatch.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir!.FullName, "tests", "LwpWatch.Daemon.Tests", "Fixtures", "vm");
        }
    }

    public static TheoryData<string> Bundles()
    {
        var data = new TheoryData<string>();
        foreach (var d in Directory.GetDirectories(Root).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(d));
        }

        return data;
    }

    [Fact]
    public void Both_denial_semantics_of_kernel_6_12_are_recorded()
    {
        var names = Directory.GetDirectories(Root).Select(Path.GetFileName).ToList();
        Assert.Contains("linux-6.12", names);
        Assert.Contains("linux-6.12-localevents", names);
        Assert.False(new Recorded("linux-6.12").LocalEvents);
        Assert.True(new Recorded("linux-6.12-localevents").LocalEvents);
        foreach (var n in names)
        {
            Assert.True(File.Exists(Path.Combine(Root, n!, "SOURCE.md")), $"{n}: no SOURCE.md");
            Assert.True(File.Exists(Path.Combine(Root, n!, "polls", "0001", "bus.json")), $"{n}: no recorded bus replies");
        }
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void Every_stuck_unit_is_one_critical_cap_starvation_sized_to_fix_it(string name)
    {
        var b = new Recorded(name);
        var check = b.Check();
        Assert.Equal("critical", check.GetProperty("status").GetString());
        var units = b.Copies().Where(c => c.Group is "notify" or "early" or "watched").ToList();
        Assert.Equal(7, units.Count);
        foreach (var c in units)
        {
            var k = b.Kernel(c.Raw);
            var z = Zone(check, c.Id);
            Assert.Equal(k.Current, z.GetProperty("lwps").GetInt64());
            Assert.Equal(k.Max, z.GetProperty("lwpLimit").GetInt64());
            Assert.Equal(k.Events, z.GetProperty("denials").GetInt64());
            Assert.True(k.Events > 0, $"{c.Name}: the kernel recorded no refusal");

            var cs = Assert.Single(Findings(check, c.Id), f => f.GetProperty("rule").GetString() == "cap-starvation");
            Assert.Equal("critical", cs.GetProperty("severity").GetString());
            // One finding per starved zone (its identity has no service, so a second stuck service opens no second page):
            // the unit that owns the cgroup is in its evidence.
            Assert.Equal(c.Unit, cs.GetProperty("evidence").GetProperty("unit").GetString());
            // Every refusal since the unit started, also those before the first sample (issue 14 defect 2).
            var summary = cs.GetProperty("summary").GetString()!;
            var said = RefusedCount().Match(summary);
            Assert.True(said.Success, summary);
            Assert.Equal(k.Events, long.Parse(said.Groups[1].Value, CultureInfo.InvariantCulture));

            var n = RaiseHints(c, HintsOf(check, c.Id), b.WarnRatio, expectSetProperty: true);
            Assert.Equal(n, cs.GetProperty("evidence").GetProperty("suggestedLimit").GetInt64());
        }
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void Explain_prints_the_same_fix_as_check(string name)
    {
        var b = new Recorded(name);
        var check = b.Check();
        foreach (var c in b.Copies().Where(c => c.Name is "notify-1" or "early-1" or "watched-1"))
        {
            var r = TestTools.Run(TestTools.Lwpwatch, ["explain", c.Unit!, "--replay", b.Dir, "--format", "json"], TimeSpan.FromSeconds(60));
            Assert.True(r.ExitCode == 2, $"explain {c.Unit}: rc={r.ExitCode} {r.Stderr}");
            var z = Assert.Single(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("zones").EnumerateArray());
            Assert.Equal(c.Id, z.GetProperty("id").GetString());
            var fix = z.GetProperty("fix").EnumerateArray().Select(h => h.GetString()!).ToList();
            Assert.Equal(RaiseHints(c, HintsOf(check, c.Id), b.WarnRatio, true), RaiseHints(c, fix, b.WarnRatio, true));
        }
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void Scopes_and_containers_are_named_and_get_their_own_fix(string name)
    {
        var b = new Recorded(name);
        var check = b.Check();
        var scopes = b.Copies().Where(c => c.Group == "scope").ToList();
        var containers = b.Copies().Where(c => c.Group == "docker").ToList();
        Assert.Equal(2, scopes.Count);
        Assert.Equal(3, containers.Count);
        foreach (var c in scopes.Concat(containers))
        {
            var k = b.Kernel(c.Raw);
            var z = Zone(check, c.Id);
            Assert.Equal(k.Current, z.GetProperty("lwps").GetInt64());
            Assert.Equal(k.Max, z.GetProperty("lwpLimit").GetInt64());
            Assert.Equal(k.Events, z.GetProperty("denials").GetInt64());
            Assert.Contains(Findings(check, c.Id), f => f.GetProperty("rule").GetString() == "fork-denied" && f.GetProperty("severity").GetString() == "critical");
            var hints = HintsOf(check, c.Id);
            var n = RaiseHints(c, hints, b.WarnRatio, expectSetProperty: c.Group == "scope");
            if (c.Group == "docker")
            {
                // Named as `docker ps` names it, with its id, and the engine's own command for the running container.
                Assert.Equal(c.ContainerName, z.GetProperty("name").GetString());
                var text = JsonSerializer.Serialize(Findings(check, c.Id).Select(f => f.GetProperty("summary").GetString()));
                Assert.Contains(c.ContainerName!, text, StringComparison.Ordinal);
                Assert.Contains(c.ContainerId![..12], text, StringComparison.Ordinal);
                Assert.Contains(hints.Select(ShellWords.Split), w => w.SequenceEqual(["docker", "update", "--pids-limit", n.ToString(CultureInfo.InvariantCulture), c.ContainerId!]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void A_mkdired_capped_parent_holds_its_refusals_under_the_recorded_semantics(string name)
    {
        var b = new Recorded(name);
        var check = b.Check();
        var slices = b.Source.GetProperty("slices").EnumerateObject().ToList();
        Assert.Equal(b.LocalEvents ? 2 : 1, slices.Count);
        foreach (var s in slices)
        {
            var raw = s.Value.GetProperty("zone").GetString()!;
            var demand = s.Value.GetProperty("demand").GetInt64();
            var parent = b.Kernel(raw);
            var inner = b.Kernel(raw + "/inner");
            // Hierarchical (6.12's default): counted where the limit refused, pids.events.local of the parent.
            // pids_localevents: counted in the cgroup of the forking task, the child: the subtree's sum.
            var expected = b.LocalEvents
                ? (parent.Hierarchical ?? throw new InvalidOperationException($"{raw}: pids.events not recorded")) + inner.Events
                : parent.LocalEvents ?? throw new InvalidOperationException($"{raw}: pids.events.local not recorded");
            Assert.True(expected > 0, $"{raw}: the kernel recorded no refusal");
            var z = Zone(check, raw);
            Assert.Equal(expected, z.GetProperty("denials").GetInt64());
            Assert.Contains(Findings(check, raw), f => f.GetProperty("rule").GetString() == "fork-denied");
            Assert.DoesNotContain(Findings(check, raw + "/inner"), f => f.GetProperty("rule").GetString() == "fork-denied");

            // No unit owns it, so the only fix is the live pids.max write, sized for the whole subtree's demand.
            var hints = HintsOf(check, raw);
            Assert.DoesNotContain(hints, h => h.StartsWith("systemctl", StringComparison.Ordinal));
            var n = Assert.Single(hints.Select(ShellWords.Split).Where(w => w[0] == "echo").Select(w =>
            {
                Assert.Equal([">", Cg + raw + "/pids.max"], w.Skip(2));
                return long.Parse(w[1], CultureInfo.InvariantCulture);
            }).Distinct());
            Assert.True(demand / (double)n < b.WarnRatio, $"{raw}: N={n} leaves its demand {demand} at {demand / (double)n:0.00} >= nearCap.warning {b.WarnRatio}");
        }
    }

    /// <summary>
    /// The raise-the-cap hints of one zone, all one N, big enough that the demand stays below the near-cap warning once
    /// applied. For a cgroup a unit owns (the manager's recorded ControlGroup): `systemctl set-property UNIT TasksMax=N`
    /// and its `--runtime` form, and no pids.max write (systemd recreates the cgroup with TasksMax at the unit's next
    /// start, so the restart a stuck unit may need would undo it: seen in the VM suite). Otherwise `echo N &gt;
    /// /sys/fs/cgroup/PATH/pids.max` with the zone's exact recorded path. Returns N.
    /// </summary>
    private static long RaiseHints(Copy c, IReadOnlyList<string> hints, double warn, bool expectSetProperty)
    {
        var ns = new HashSet<long>();
        var words = hints.Select(ShellWords.Split).ToList();
        var echo = words.Where(w => w[0] == "echo").ToList();
        var set = words.Where(w => w.Count > 1 && w[0] == "systemctl" && w[1] == "set-property").ToList();
        if (expectSetProperty)
        {
            Assert.NotEmpty(set);
        }

        if (set.Count > 0)
        {
            Assert.Empty(echo);
            Assert.Single(set, w => w.Count == 4);
            Assert.Single(set, w => w.Count == 5 && w[2] == "--runtime");
        }
        else
        {
            Assert.NotEmpty(echo);
        }

        foreach (var w in echo)
        {
            Assert.Equal([">", Cg + c.Raw + "/pids.max"], w.Skip(2));
            ns.Add(long.Parse(w[1], CultureInfo.InvariantCulture));
        }

        foreach (var w in set)
        {
            var unit = w[^2];
            Assert.Equal(c.Unit ?? ("docker-" + c.ContainerId + ".scope"), unit);
            Assert.StartsWith("TasksMax=", w[^1], StringComparison.Ordinal);
            ns.Add(long.Parse(w[^1]["TasksMax=".Length..], CultureInfo.InvariantCulture));
        }

        foreach (var w in words.Where(w => w[0] == "docker"))
        {
            ns.Add(long.Parse(w[3], CultureInfo.InvariantCulture));
        }

        var n = Assert.Single(ns);
        Assert.True(c.Demand / (double)n < warn, $"{c.Name}: N={n} leaves its demand {c.Demand} at {c.Demand / (double)n:0.00} >= nearCap.warning {warn}");
        return n;
    }

    private static JsonElement Zone(JsonElement doc, string id)
    {
        var zones = doc.GetProperty("zones").EnumerateArray().Where(z => z.GetProperty("id").GetString() == id).ToList();
        Assert.True(zones.Count == 1, $"no zone {id} in check's output");
        return zones[0];
    }

    private static List<JsonElement> Findings(JsonElement doc, string zone) =>
        doc.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("zone").GetString() == zone).ToList();

    private static List<string> HintsOf(JsonElement doc, string zone) =>
        Findings(doc, zone).SelectMany(f => f.GetProperty("hints").EnumerateArray().Select(h => h.GetString()!)).Distinct().ToList();

    [GeneratedRegex(@"(\d+) thread/process creations refused")]
    private static partial Regex RefusedCount();

    /// <summary>One workload copy; SOURCE.json names its zone by LwpWatch's zone id (lwpvm.zone_id in the guest).</summary>
    private sealed record Copy(string Name, string Group, string Id, string? Unit, string? ContainerId, string? ContainerName, long Demand)
    {
        /// <summary>The cgroup path as the kernel spells it: the id's \x5c is one backslash (CgroupName), systemd's "\x2d".</summary>
        public string Raw => Id.Replace("\\x5c", "\\", StringComparison.Ordinal);
    }

    private sealed record Pids(long Current, long? Max, long? Hierarchical, long? LocalEvents)
    {
        /// <summary>A leaf's refusals: both of its counters hold them (it has no descendants).</summary>
        public long Events => Hierarchical ?? LocalEvents ?? throw new InvalidOperationException("neither pids.events nor pids.events.local was recorded");
    }

    private sealed class Recorded
    {
        public Recorded(string name)
        {
            Dir = Path.Combine(Root, name);
            Source = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "SOURCE.json"))).RootElement.Clone();
            var polls = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "bundle.json"))).RootElement.GetProperty("polls").GetInt32();
            Files = Path.Combine(Dir, "polls", polls.ToString("D4", CultureInfo.InvariantCulture), "files");
            WarnRatio = Source.GetProperty("nearCapWarning").GetDouble();
            var mountinfo = File.ReadAllLines(Path.Combine(Files, "proc", "self", "mountinfo"));
            // proc(5): "... mount-point ... - fstype source super-options"; the cgroup2 mount at /sys/fs/cgroup.
            var cg2 = Assert.Single(mountinfo, l => l.Split(' ')[4] == Cg && l.Contains(" - cgroup2 ", StringComparison.Ordinal));
            LocalEvents = cg2[(cg2.IndexOf(" - ", StringComparison.Ordinal) + 3)..].Split(' ')[2].Split(',').Contains("pids_localevents");
        }

        public string Dir { get; }

        public JsonElement Source { get; }

        /// <summary>The last poll's recorded files: what `check --replay` ends on.</summary>
        public string Files { get; }

        public double WarnRatio { get; }

        public bool LocalEvents { get; }

        public JsonElement Check()
        {
            var r = TestTools.Run(TestTools.Lwpwatch, ["check", "--replay", Dir, "--format", "json"], TimeSpan.FromSeconds(60));
            Assert.True(r.ExitCode == 2, $"check --replay {Dir}: rc={r.ExitCode} {r.Stderr}");
            var doc = JsonDocument.Parse(r.Stdout).RootElement.Clone();
            // Every collector answered from the recording (a call the bundle lacks would fail one, silently here).
            Assert.DoesNotContain(doc.GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() == "collector-health");
            return doc;
        }

        public IEnumerable<Copy> Copies()
        {
            foreach (var z in Source.GetProperty("zones").EnumerateObject())
            {
                var v = z.Value;
                var container = v.GetProperty("container");
                yield return new Copy(
                    z.Name,
                    z.Name[..z.Name.LastIndexOf('-')],
                    v.GetProperty("zone").GetString()!,
                    v.GetProperty("unit").GetString(),
                    container.ValueKind == JsonValueKind.Array ? container[0].GetString() : null,
                    container.ValueKind == JsonValueKind.Array ? container[1].GetString() : null,
                    v.GetProperty("demand").GetInt64());
            }
        }

        /// <summary>
        /// The kernel's pids.* files of a cgroup as recorded (stored under LwpWatch's escaped path). A counter file the
        /// collector did not read is absent; a leaf's pids.events and pids.events.local count the same refusals.
        /// </summary>
        public Pids Kernel(string raw)
        {
            var dir = Path.Combine(Files, "sys", "fs", "cgroup", raw.Replace("\\", "\\x5c", StringComparison.Ordinal)[1..]);
            string? Read(string f) => File.Exists(Path.Combine(dir, f)) ? File.ReadAllText(Path.Combine(dir, f)).Trim() : null;
            static long? Max(string? events) => events is null ? null : long.Parse(MaxLine().Match(events).Groups[1].Value, CultureInfo.InvariantCulture);
            var max = Read("pids.max") ?? throw new InvalidOperationException($"{dir}: no recorded pids.max");
            return new Pids(
                long.Parse(Read("pids.current") ?? throw new InvalidOperationException($"{dir}: no recorded pids.current"), CultureInfo.InvariantCulture),
                max == "max" ? null : long.Parse(max, CultureInfo.InvariantCulture),
                Max(Read("pids.events")),
                Max(Read("pids.events.local")));
        }
    }

    [GeneratedRegex(@"^max (\d+)", RegexOptions.Multiline)]
    private static partial Regex MaxLine();
}
