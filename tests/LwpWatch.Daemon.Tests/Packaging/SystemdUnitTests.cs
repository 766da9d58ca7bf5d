using System.Globalization;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>packaging/systemd/lwpwatch.service: what it must say, and what the real systemd-analyze thinks of it.</summary>
public sealed partial class SystemdUnitTests
{
    private static readonly string Unit = Repo.Path("packaging", "systemd", "lwpwatch.service");

    [Fact]
    public void Unit_is_notify_with_a_watchdog_reload_and_the_hardening_the_daemon_can_live_with()
    {
        var service = Parse(File.ReadAllText(Unit))["Service"];
        Assert.Equal(["notify"], service["Type"]);
        Assert.Matches(@"^\d+s$", Assert.Single(service["WatchdogSec"]));
        Assert.StartsWith("/usr/local/bin/lwpwatch run --config /etc/lwpwatch/lwpwatch.yaml", Assert.Single(service["ExecStart"]), StringComparison.Ordinal);
        Assert.Contains("-HUP $MAINPID", Assert.Single(service["ExecReload"]), StringComparison.Ordinal);
        Assert.Equal(["yes"], service["NoNewPrivileges"]);
        Assert.Equal(["strict"], service["ProtectSystem"]);
        Assert.Equal(["/var/lib/lwpwatch"], service["ReadWritePaths"]);
        Assert.Equal(["lwpwatch"], service["StateDirectory"]);
        Assert.Equal(["yes"], service["ProtectHome"]);
        Assert.Equal(["yes"], service["PrivateTmp"]);
        Assert.Equal(["AF_UNIX AF_INET AF_INET6"], service["RestrictAddressFamilies"]);
        Assert.Equal(["journal"], service["StandardOutput"]);
        Assert.Equal(["lwpwatch"], service["User"]);

        // The native binary has no JIT, so no W+X pages (MemoryDenyWriteExecuteTests); hidepid would hide the processes it counts.
        Assert.Equal(["yes"], service["MemoryDenyWriteExecute"]);
        Assert.Equal(["default"], service["ProtectProc"]);
        Assert.Equal(["all"], service["ProcSubset"]);

        // The watchdog must outlast a healthy gap between polls at the default 15s interval and 10s collector timeout.
        var watchdog = int.Parse(service["WatchdogSec"][0].TrimEnd('s'), CultureInfo.InvariantCulture);
        Assert.True(watchdog / 2 >= 15 + 10, $"WatchdogSec={watchdog}s is too short for the default poll interval");
    }

    [Fact]
    [Trait("Binary", "lwpwatch")]
    public void Systemd_analyze_verify_reports_nothing()
    {
        // verify insists that ExecStart exists: point it at the real daemon binary built next to the tests.
        var dir = TestTools.NewTempDir();
        try
        {
            var unit = Path.Combine(dir, "lwpwatch.service");
            File.WriteAllText(unit, File.ReadAllText(Unit).Replace("/usr/local/bin/lwpwatch", TestTools.Lwpwatch, StringComparison.Ordinal));
            var (code, stdout, stderr) = TestTools.Run(SystemdAnalyze, ["verify", "--man=no", unit], TimeSpan.FromSeconds(60));
            // Unknown keys and bad values are only warnings (exit 0) for verify: any output is a failure.
            Assert.True(code == 0 && stdout.Trim().Length == 0 && stderr.Trim().Length == 0, $"systemd-analyze verify exit {code}:\n{stdout}{stderr}");

            var security = TestTools.Run(SystemdAnalyze, ["security", "--offline=true", "--no-pager", unit], TimeSpan.FromSeconds(60));
            var m = Exposure().Match(security.Stdout);
            Assert.True(m.Success, $"no exposure level in:\n{security.Stdout}{security.Stderr}");
            var exposure = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(exposure <= 2.5, $"exposure {exposure} (systemd-analyze security): hardening regressed\n{security.Stdout}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string SystemdAnalyze => File.Exists("/usr/bin/systemd-analyze") ? "/usr/bin/systemd-analyze" : "systemd-analyze";

    /// <summary>A unit file as section -> key -> values (a key may repeat).</summary>
    private static Dictionary<string, Dictionary<string, List<string>>> Parse(string text)
    {
        var sections = new Dictionary<string, Dictionary<string, List<string>>>(StringComparer.Ordinal);
        Dictionary<string, List<string>>? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                current = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                sections[line.Trim('[', ']')] = current;
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(current is not null && eq > 0, $"not a unit file line: {line}");
            var key = line[..eq];
            if (!current!.TryGetValue(key, out var values))
            {
                current[key] = values = [];
            }

            values.Add(line[(eq + 1)..]);
        }

        return sections;
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex Exposure();
}
