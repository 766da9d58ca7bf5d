using System.Net.Http;
using System.Text.Json;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Cli;
using Xunit;

namespace LwpWatch.Daemon.Tests.Cli;

/// <summary>`check --replay` and `run --replay` on examples/triton-fs-local-stuck (issue 6 acceptance).</summary>
public sealed class ReplayCliTests
{
    private const string Sick = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90";

    internal static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "LwpWatch.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("LwpWatch.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static string Triton => Path.Combine(RepoRoot, "examples", "triton-fs-local-stuck");

    internal static CliArgs Args(params string[] argv)
    {
        var (cli, error) = CliArgs.Parse(argv, Verbs.All);
        return cli ?? throw new ArgumentException(error);
    }

    internal static async Task<(int Code, string Stdout, string Stderr)> CheckAsync(params string[] argv)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CheckCommand.ExecuteAsync(Args(["check", .. argv]), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task CheckReplayOfTheTritonIncidentIsCriticalWithTheZoneAtItsCap()
    {
        var (code, stdout, stderr) = await CheckAsync("--replay", Triton, "--format", "json");

        Assert.True(code == 2, stderr + stdout);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal("critical", root.GetProperty("status").GetString());
        var zone = root.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == Sick);
        Assert.Equal("illumos-zone", zone.GetProperty("kind").GetString());
        Assert.Equal("delegate-test-7", zone.GetProperty("name").GetString());
        Assert.Equal(398, zone.GetProperty("lwps").GetInt64());
        Assert.Equal(400, zone.GetProperty("lwpLimit").GetInt64());
        Assert.Equal(1734, zone.GetProperty("denials").GetInt64());

        var findings = root.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("zone").GetString() == Sick).ToList();
        var nearCap = Assert.Single(findings, f => f.GetProperty("rule").GetString() == "near-cap");
        var forkDenied = Assert.Single(findings, f => f.GetProperty("rule").GetString() == "fork-denied");
        Assert.Equal("critical", nearCap.GetProperty("severity").GetString());
        Assert.Equal("critical", forkDenied.GetProperty("severity").GetString());
        // On the recorded clock: both started at poll 5 (09:07:37Z), when the zone crossed 95% and forks began failing.
        Assert.Equal("2025-09-08T09:07:37Z", nearCap.GetProperty("since").GetString());
        Assert.Equal("2025-09-08T09:07:37Z", forkDenied.GetProperty("since").GetString());
        // The exact suggestion is the rules' business; it must name this VM and raise its cap.
        var raise = Assert.Single(forkDenied.GetProperty("hints").EnumerateArray(), h => h.GetString()!.StartsWith($"vmadm update {Sick} max_lwps=", StringComparison.Ordinal));
        Assert.True(int.Parse(raise.GetString()!.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture) > 400);
        Assert.DoesNotContain(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("zone").GetString() != Sick);
    }

    [Fact]
    public async Task UntilStopsAfterThatPoll()
    {
        var (code, stdout, stderr) = await CheckAsync("--replay", Triton, "--format", "json", "--until", "2");
        Assert.True(code is >= 0 and <= 2, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var zone = doc.RootElement.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == Sick);
        Assert.Equal(172, zone.GetProperty("lwps").GetInt64());
        Assert.Equal(0, zone.GetProperty("denials").GetInt64());
        // At 09:06:07Z the zone is at 43% with no refused forks yet (what other rules forecast is theirs to test).
        var rules = doc.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("rule").GetString()).ToList();
        Assert.DoesNotContain("near-cap", rules);
        Assert.DoesNotContain("fork-denied", rules);
    }

    [Theory]
    [InlineData("0", "--until must be a poll number")]
    [InlineData("x", "--until must be a poll number")]
    [InlineData("9", "has only 8 polls")]
    public async Task BadUntilIsUnknownWithAMessage(string until, string message)
    {
        var (code, _, stderr) = await CheckAsync("--replay", Triton, "--until", until);
        Assert.Equal(3, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UntilWithoutReplayIsRefused()
    {
        var (code, _, stderr) = await CheckAsync("--until", "2");
        Assert.Equal(3, code);
        Assert.Contains("--until needs --replay", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotABundleIsUnknownWithAMessage()
    {
        var dir = Directory.CreateTempSubdirectory("lwpw-test-").FullName;
        try
        {
            var (code, _, stderr) = await CheckAsync("--replay", dir);
            Assert.Equal(3, code);
            Assert.Contains("not a capture bundle", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task RunReplayServesTheStateAfterTheLastPoll()
    {
        var options = new LwpWatchOptions { Http = new HttpSettings { Listen = "http://127.0.0.1:0" } };
        var replay = ReplayCli.Prepare(Triton, null, options);
        Assert.Null(replay.Error);
        await replay.RunAllAsync(CancellationToken.None);
        using var logger = new Serilog.LoggerConfiguration().CreateLogger();
        await using var app = RunCommand.Build(options, replay.Pipeline!, logger, []);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            string body = "";
            for (var i = 0; i < 200; i++)
            {
                using var response = await http.GetAsync(new Uri("/api/v1/zones", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    body = await response.Content.ReadAsStringAsync();
                    break;
                }

                await Task.Delay(50);
            }

            using var doc = JsonDocument.Parse(body);
            Assert.Equal("cn-triton-07", doc.RootElement.GetProperty("host").GetString());
            Assert.Equal("illumos", doc.RootElement.GetProperty("platform").GetString());
            Assert.Equal("2025-09-08T09:09:07Z", doc.RootElement.GetProperty("takenAt").GetString());
            var zone = doc.RootElement.GetProperty("zones").EnumerateArray().Single(z => z.GetProperty("id").GetString() == Sick);
            Assert.Equal(398, zone.GetProperty("lwps").GetInt64());

            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Contains("lwpwatch_zone_lwps", metrics, StringComparison.Ordinal);
            Assert.Contains(Sick, metrics, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
