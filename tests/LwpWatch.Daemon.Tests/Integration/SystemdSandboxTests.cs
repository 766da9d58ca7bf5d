using System.Globalization;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using LwpWatch.Collectors.Evidence;
using LwpWatch.Daemon.Evidence;
using LwpWatch.Daemon.Pipeline;
using LwpWatch.Daemon.Tests.Support;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace LwpWatch.Daemon.Tests.Integration;

/// <summary>
/// End to end against a REAL systemd (PID 1 of an nspawn container, tests/integration/systemd-sandbox.sh):
/// LwpWatch watches it from the host through the container's D-Bus socket and the host's v1 pids tree.
/// Needs root, systemd-nspawn and debootstrap (the script installs them; the rootfs is cached in /var/tmp).
/// </summary>
[Collection(RealSystemCollection.Name)]
[Trait("Binary", "lwpwatch")]
public sealed class SystemdSandboxTests(ITestOutputHelper output) : IClassFixture<SystemdSandboxTests.Sandbox>
{
    private static readonly CommandRunner Runner = new();

    [Fact]
    public async Task Capped_notify_unit_is_one_cap_starvation_finding_and_the_hint_fixes_it()
    {
        using var box = await Sandbox.StartAsync(output);
        var unitZone = $"/{box.Name}/system.slice/stuck-notify.service";
        var stateDir = Path.Combine(Path.GetTempPath(), "lwpw-test-" + Guid.NewGuid().ToString("N")[..10]);
        using var cleanup = new TempDir(stateDir);
        var pipeline = Pipeline(box, stateDir);

        // Poll like the daemon does until the diagnosis holds (stuckFor is 2 s in this test's config).
        var outcome = await PollUntil(pipeline, o => o.Findings.Any(f => f.Rule == "cap-starvation"), TimeSpan.FromSeconds(30));
        var mine = outcome.Findings.Where(f => f.ZoneId.StartsWith($"/{box.Name}/", StringComparison.Ordinal)).ToList();
        var f = Assert.Single(outcome.Findings, x => x.Rule == "cap-starvation");
        output.WriteLine(f.Summary);
        Assert.Equal(Severity.Critical, f.Severity);
        Assert.Equal(unitZone, f.ZoneId);
        Assert.Null(f.Service); // one finding per starved zone; the stuck unit is in its evidence
        Assert.Equal("stuck-notify.service", Assert.Single(f.Evidence.Records("stuckServices")).Text("service"));
        Assert.Contains("20/20", f.Summary, StringComparison.Ordinal);
        Assert.Contains("stuck-notify.service stuck activating->start", f.Summary, StringComparison.Ordinal);
        Assert.True(f.Evidence.Integer("denialsInWindow") > 0, "denials in the window");
        Assert.Contains("refused", f.Summary, StringComparison.Ordinal);
        var n = f.SuggestedLimit!.Value;
        Assert.True(n > 50, $"N={n} must let a unit that needs 50 threads start");
        var hint = $"systemctl set-property stuck-notify.service TasksMax={n}";
        Assert.Contains(hint, f.Hints.Render());
        Assert.Contains($"systemctl set-property --runtime stuck-notify.service TasksMax={n}", f.Hints.Render());
        // No pids.max write for a unit's cgroup: the unit's next start recreates it with TasksMax, undoing the write.
        Assert.DoesNotContain(f.Hints.Render(), h => h.StartsWith("echo ", StringComparison.Ordinal));
        var holders = f.Evidence.Records("topHolders").ToList();
        Assert.Contains(holders, h => h.Text("command") == "spawn" && h.Integer("lwps") >= 19);

        // Evidence was decided in the same poll and saved beside it: the manager's account of the unit and its log tail.
        var evidenceId = pipeline.Evidence!.Ids[f.Fingerprint];
        await pipeline.Evidence.DrainAsync();
        var bundle = System.Text.Json.JsonDocument.Parse(pipeline.Evidence.Store.TryRead(evidenceId)!).RootElement;
        Assert.Equal("cap-starvation", bundle.GetProperty("finding").GetProperty("rule").GetString());
        Assert.Equal(20, bundle.GetProperty("zone").GetProperty("lwpLimit").GetInt64());
        var items = bundle.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(items, i => i.GetProperty("title").GetString() == "systemd unit properties" && i.GetProperty("text").GetString()!.Contains("\"TasksMax\":{\"type\":\"t\",\"data\":20}", StringComparison.Ordinal));
        Assert.Contains(items, i => i.GetProperty("title").GetString() == "service log tail" && i.GetProperty("text").GetString()!.Contains("threads_created=19 failed=31 of 50", StringComparison.Ordinal));
        Assert.Contains(items, i => i.GetProperty("title").GetString()!.StartsWith("command line of pid", StringComparison.Ordinal) && i.GetProperty("text").GetString() == "/usr/local/bin/spawn 50");

        // The stuck-pre unit has headroom: stuck, but with a non-cap verdict, and no second cap-starvation.
        var pre = Assert.Single(mine, x => x.Rule == "service-stuck" && x.Service == "stuck-pre.service");
        Assert.NotEqual(VerdictCause.ThreadCap, pre.Verdict!.Cause);
        output.WriteLine(pre.Summary);

        // The same through the real binaries: `explain` tells the story, `run` serves the finding and its evidence.
        var yaml = $"""
            poll:
              interval: 1s
            linux:
              systemd:
                enabled: "true"
                busAddress: unix:path=/proc/{box.Leader}/root/run/dbus/system_bus_socket
                cgroupPrefix: /{box.Name}
                rootDir: /proc/{box.Leader}/root
            rules:
              capStarvation:
                stuckFor: 2s
            state:
              dir: {stateDir}/daemon
            """;
        var configPath = Path.Combine(stateDir, "lwpwatch.yaml");
        await File.WriteAllTextAsync(configPath, yaml);
        var explain = TestTools.Run(TestTools.Lwpwatch, ["explain", "stuck-notify.service", "--config", configPath, "--polls", "2"], TimeSpan.FromSeconds(60));
        output.WriteLine(explain.Stdout);
        Assert.Equal(2, explain.ExitCode);
        Assert.Contains($"Zone {unitZone} (cgroup) stuck-notify.service", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("pid ", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("stuck-notify.service  activating->start  for ", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("verdict: thread-cap", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("  " + hint, explain.Stdout, StringComparison.Ordinal);
        var explainPre = TestTools.Run(TestTools.Lwpwatch, ["explain", "stuck-pre.service", "--config", configPath, "--polls", "1"], TimeSpan.FromSeconds(60));
        Assert.Contains("verdict: unknown: not short of threads (1/20)", explainPre.Stdout, StringComparison.Ordinal);

        using (var daemon = new DaemonProcess(["--config", configPath]))
        {
            var alerts = await daemon.WaitForAsync("/api/v1/findings", TimeSpan.FromSeconds(30), b => b.Contains("\"evidenceId\"", StringComparison.Ordinal));
            var cs = JsonDocument.Parse(alerts).RootElement.GetProperty("findings").EnumerateArray().Single(x => x.GetProperty("rule").GetString() == "cap-starvation");
            var servedId = cs.GetProperty("evidence").GetProperty("evidenceId").GetString();
            var served = await daemon.WaitForAsync("/api/v1/evidence/" + servedId, TimeSpan.FromSeconds(15));
            Assert.Contains("threads_created=19 failed=31 of 50", served, StringComparison.Ordinal);
            using var http = new HttpClient();
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(daemon.BaseUrl + "/api/v1/evidence/..%2F..%2Fetc%2Fpasswd")).StatusCode);
        }

        // Apply the hint exactly as printed, inside the container (that is where its systemctl works).
        var applied = await box.InContainerAsync(hint.Split(' '));
        Assert.True(applied.Succeeded, applied.Describe());

        // The cgroup is read before the unit list in a poll, so wait for a poll that saw both the new threads and the state.
        var after = await PollUntil(pipeline, o => !o.Findings.Any(x => x.Rule == "cap-starvation")
            && o.Snapshot.Services.Any(s => s.Name == "stuck-notify.service" && s.State == "active")
            && o.Snapshot.Zones.Any(z => z.Id == unitZone && z.Lwps >= 51), TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(after.Findings, x => x.Rule == "cap-starvation");
        // Issue 14 defect 4: the fixed unit must not sit at near-cap's warning (51/60 = 85% did).
        Assert.DoesNotContain(after.Findings, x => x.ZoneId == unitZone && x.Rule == "near-cap");
        var zone = Assert.Single(after.Snapshot.Zones, z => z.Id == unitZone);
        Assert.Equal(n, zone.LwpLimit);
        Assert.True(zone.Lwps >= 51, $"usage {zone.Lwps}: the main thread + 50 workers are all there");
    }

    [Fact]
    public async Task In_process_replies_equal_busctl_on_a_real_systemd()
    {
        using var box = await Sandbox.StartAsync(output);
        var address = $"unix:path=/proc/{box.Leader}/root/run/dbus/system_bus_socket";
        using var client = new DBusClient();
        foreach (var call in (BusCall[])[SystemdCollector.ListUnitsCall(address), SystemdCollector.GetAllCall(address, "/org/freedesktop/systemd1/unit/stuck_2dnotify_2eservice"), SystemdCollector.GetAllCall(address, "/org/freedesktop/systemd1/unit/_2d_2eslice")])
        {
            // busctl before and after ours: a value may differ from busctl's only where busctl's own two answers differ
            // (CPU and memory counters move), never in name, type, order or a stable value.
            string[] argv = ["busctl", $"--address={address}", "--json=short", "call", call.Destination, call.Path, call.Interface, call.Member, .. call.Args.Length == 0 ? Array.Empty<string>() : ["s", .. call.Args]];
            var before = await Runner.RunAsync(argv, TimeSpan.FromSeconds(10), CancellationToken.None);
            var ours = await client.CallAsync(call, TimeSpan.FromSeconds(10), CancellationToken.None);
            var after = await Runner.RunAsync(argv, TimeSpan.FromSeconds(10), CancellationToken.None);
            Assert.True(before.Succeeded && after.Succeeded, before.Describe() + after.Describe());
            Assert.True(ours.Succeeded, ours.Describe());
            var b = JsonDocument.Parse(before.Stdout).RootElement;
            var o = JsonDocument.Parse(ours.Json!).RootElement;
            var a = JsonDocument.Parse(after.Stdout).RootElement;
            Assert.Equal(b.GetProperty("type").GetString(), o.GetProperty("type").GetString());
            if (call.Member == "ListUnits")
            {
                var names = (JsonElement r) => r.GetProperty("data")[0].EnumerateArray().Select(u => u[0].GetString()).Order(StringComparer.Ordinal).ToList();
                Assert.Equal(names(b), names(o));
                continue;
            }

            var bp = b.GetProperty("data")[0].EnumerateObject().ToList();
            var op = o.GetProperty("data")[0].EnumerateObject().ToList();
            var ap = a.GetProperty("data")[0];
            Assert.Equal(bp.Select(p => p.Name), op.Select(p => p.Name));
            var moved = 0;
            for (var i = 0; i < bp.Count; i++)
            {
                Assert.Equal(bp[i].Value.GetProperty("type").GetString(), op[i].Value.GetProperty("type").GetString());
                var same = bp[i].Value.GetRawText() == op[i].Value.GetRawText();
                var volatileValue = bp[i].Value.GetRawText() != ap.GetProperty(bp[i].Name).GetRawText();
                var sameAsNumber = bp[i].Value.GetProperty("type").GetString() == "d"; // busctl prints reals as 2.5e-01
                Assert.True(same || volatileValue || sameAsNumber, $"{call.Path} {bp[i].Name}: busctl {bp[i].Value.GetRawText()} vs ours {op[i].Value.GetRawText()}");
                moved += same ? 0 : 1;
            }

            output.WriteLine($"{call.Path}: {op.Count} properties, {moved} moved between the calls");
            Assert.True(op.Count > 100);
        }
    }

    [Fact]
    public async Task A_linux_poll_forks_nothing_with_systemd_reachable()
    {
        using var box = await Sandbox.StartAsync(output);
        var stateDir = Path.Combine(Path.GetTempPath(), "lwpw-test-" + Guid.NewGuid().ToString("N")[..10]);
        using var cleanup = new TempDir(stateDir);
        Directory.CreateDirectory(stateDir);
        var trace = Path.Combine(stateDir, "strace.log");

        // Evidence is off: it runs journalctl once when a critical finding first fires, on demand, not per poll.
        var yaml = $"""
            poll:
              interval: 1s
            linux:
              systemd:
                enabled: "true"
                busAddress: unix:path=/proc/{box.Leader}/root/run/dbus/system_bus_socket
                cgroupPrefix: /{box.Name}
                rootDir: /proc/{box.Leader}/root
            evidence:
              enabled: false
            state:
              dir: {stateDir}/daemon
            """;
        // strace -f follows every thread and child of the daemon; execve is what a fork that runs a tool does.
        using var daemon = new DaemonProcess([], yaml, wrapper: ["strace", "-f", "-qq", "-e", "trace=execve,execveat", "-e", "signal=none", "-o", trace, "--"]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        string metrics = "";
        while (seen.Count < 6 && DateTime.UtcNow < deadline)
        {
            metrics = await daemon.WaitForAsync("/metrics", TimeSpan.FromSeconds(30), m => m.Contains("lwpwatch_last_poll_timestamp_seconds ", StringComparison.Ordinal));
            seen.Add(metrics.Split('\n').First(l => l.StartsWith("lwpwatch_last_poll_timestamp_seconds ", StringComparison.Ordinal)));
            await Task.Delay(300);
        }

        Assert.True(seen.Count >= 6, $"saw {seen.Count} polls");
        Assert.Contains("lwpwatch_collector_success{collector=\"systemd\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("stuck-notify.service", metrics, StringComparison.Ordinal);
        daemon.Kill();

        var execs = File.ReadAllLines(trace).Where(l => l.Contains("execve(", StringComparison.Ordinal) || l.Contains("execveat(", StringComparison.Ordinal)).ToList();
        var daemonPid = execs.Count > 0 ? execs[0].Split(' ')[0] : "";
        var children = execs.Where(l => l.Split(' ')[0] != daemonPid).ToList();
        output.WriteLine($"{seen.Count} polls, {children.Count} child execs");
        Assert.True(children.Count == 0, "the daemon started processes:\n" + string.Join('\n', children));
    }

    private static PollPipeline Pipeline(Instance box, string stateDir)
    {
        var options = new LwpWatchOptions
        {
            Linux = new LinuxSettings
            {
                Systemd = new SystemdSettings
                {
                    Enabled = "true",
                    BusAddress = $"unix:path=/proc/{box.Leader}/root/run/dbus/system_bus_socket",
                    CgroupPrefix = "/" + box.Name,
                    RootDir = $"/proc/{box.Leader}/root",
                },
            },
            State = new StateSettings { Dir = stateDir },
            Rules = new RulesSettings
            {
                CapStarvation = new CapStarvationSettings { StuckFor = TimeSpan.FromSeconds(2) },
                ServiceStuck = new ServiceStuckSettings { Threshold = TimeSpan.FromSeconds(2) },
            },
        };
        Assert.Empty(options.Validate());
        var io = new LiveHostSource(Runner);
        return new PollPipeline(options, io, TimeProvider.System, "linux")
        {
            Evidence = new EvidenceRecorder(options.Evidence, new EvidenceGatherer(io, options), new EvidenceStore(stateDir, options.Evidence, TimeProvider.System)),
        };
    }

    private async Task<RuleOutcome> PollUntil(PollPipeline pipeline, Func<RuleOutcome, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        RuleOutcome last;
        do
        {
            last = (await pipeline.RunOnceAsync(CancellationToken.None)).Outcome;
            Assert.All(last.Snapshot.Collectors, c => Assert.True(c.Success, $"{c.Name}: {c.Error}"));
            if (done(last))
            {
                return last;
            }

            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        foreach (var f in last.Findings)
        {
            output.WriteLine($"{f.Rule} {f.Severity} {f.ZoneId}: {f.Summary}");
        }

        Assert.Fail($"condition not reached within {limit.TotalSeconds}s");
        return last;
    }

    /// <summary>Builds the cached rootfs once per test class (first run on a machine: about a minute).</summary>
    public sealed class Sandbox
    {
        public Sandbox()
        {
            var r = Runner.RunAsync([Script, "setup"], TimeSpan.FromMinutes(10), CancellationToken.None).GetAwaiter().GetResult();
            if (!r.Succeeded)
            {
                throw new InvalidOperationException("systemd sandbox setup failed: " + r.Describe() + "\n" + r.Stdout);
            }
        }

        public static string Script { get; } = Path.Combine(RepoRoot(), "tests", "integration", "systemd-sandbox.sh");

        public static async Task<Instance> StartAsync(ITestOutputHelper output)
        {
            // One container at a time per machine: the rootfs is shared by every worktree and CI run.
            var lockPath = Path.Combine(Environment.GetEnvironmentVariable("LWPW_SANDBOX_DIR") ?? "/var/tmp/lwpwatch-systemd", "run.lock");
            var held = await AcquireAsync(lockPath, TimeSpan.FromMinutes(5));
            var name = "lwpw-e2e-" + Guid.NewGuid().ToString("N")[..8];
            var instance = new Instance(name, held, output);
            try
            {
                var r = await Runner.RunAsync([Script, "start", name], TimeSpan.FromSeconds(60), CancellationToken.None);
                if (!r.Succeeded)
                {
                    throw new InvalidOperationException("sandbox start failed: " + r.Describe());
                }

                instance.Leader = int.Parse(r.Stdout.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
                return instance;
            }
            catch
            {
                instance.Dispose();
                throw;
            }
        }

        private static async Task<FileStream> AcquireAsync(string path, TimeSpan limit)
        {
            var deadline = DateTime.UtcNow + limit;
            while (true)
            {
                try
                {
                    return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(250);
                }
            }
        }

        private static string RepoRoot()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "LwpWatch.sln")))
                {
                    return d.FullName;
                }
            }

            throw new InvalidOperationException("LwpWatch.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A running container; Dispose kills its PID 1 and removes its cgroups depth-first, even after a failed assert.</summary>
    public sealed class Instance(string name, FileStream held, ITestOutputHelper output) : IDisposable
    {
        public string Name { get; } = name;

        public int Leader { get; set; }

        public Task<CommandResult> InContainerAsync(IReadOnlyList<string> argv) =>
            Runner.RunAsync([Sandbox.Script, "in_ct", Name, .. argv], TimeSpan.FromSeconds(20), CancellationToken.None);

        public void Dispose()
        {
            try
            {
                var r = Runner.RunAsync([Sandbox.Script, "stop", Name], TimeSpan.FromSeconds(60), CancellationToken.None).GetAwaiter().GetResult();
                output.WriteLine("sandbox stop: " + r.Describe() + " " + r.Stderr);
                Assert.True(r.Succeeded, r.Describe());
                Assert.False(Directory.Exists("/sys/fs/cgroup/pids/" + Name), "container cgroup left behind");
            }
            finally
            {
                held.Dispose();
            }
        }
    }

    private sealed class TempDir(string path) : IDisposable
    {
        public void Dispose()
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }
}
