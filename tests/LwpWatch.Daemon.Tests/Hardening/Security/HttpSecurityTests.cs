using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Configuration;
using LwpWatch.Daemon.Http;
using LwpWatch.Daemon.Tests.Packaging;
using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Hardening.Security;

/// <summary>The HTTP surface of a real `lwpwatch run`: loopback by default, bearer token, size limits, no secret in output.</summary>
[Trait("Category", "Hardening")]
[Trait("Binary", "lwpwatch")]
public sealed class HttpSecurityTests : IDisposable
{
    private const string Token = "tok-3f9a1c77e0b24d6b";
    private readonly string _dir = TestTools.NewTempDir("lwpw-sec-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Defaults_and_the_reference_config_listen_on_loopback_only()
    {
        Assert.Equal("127.0.0.1", new Uri(new HttpSettings().Listen).Host);
        var reference = ConfigLoader.LoadFile(Repo.Path("config", "lwpwatch.yaml"));
        Assert.True(reference.IsValid, string.Join("\n", reference.Errors));
        Assert.Equal("127.0.0.1", new Uri(reference.Options.Http.Listen).Host);
        Assert.False(reference.Options.Http.HasToken);
        Assert.False(reference.Options.Http.ProtectMetrics);
    }

    [Fact]
    public async Task A_running_daemon_listens_on_127_0_0_1_and_not_on_the_hosts_other_addresses()
    {
        using var d = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {_dir}\n");
        await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(60));

        // The kernel's own view: the listening socket's local address is 127.0.0.1 (0100007F), nothing else.
        var listeners = File.ReadAllLines("/proc/net/tcp").Skip(1).Concat(File.ReadAllLines("/proc/net/tcp6").Skip(1))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[3] == "0A" && int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == d.Port)
            .Select(f => f[1].Split(':')[0])
            .ToList();
        Assert.Equal(["0100007F"], listeners);

        foreach (var address in NonLoopbackIPv4())
        {
            using var client = new TcpClient();
            var ex = await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(address, d.Port).WaitAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
        }
    }

    [Fact]
    public async Task Api_needs_the_bearer_token_from_the_environment_and_metrics_and_health_stay_open()
    {
        using var d = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {_dir}\nhttp:\n  apiTokenEnv: LWPW_TEST_TOKEN\n", new Dictionary<string, string> { ["LWPW_TEST_TOKEN"] = Token });
        await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(d.BaseUrl) };

        Assert.Equal(HttpStatusCode.Unauthorized, await Status(http, "/api/v1/zones", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(http, "/api/v1/alerts", "Bearer wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(http, "/api/v1/zones", Token));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(http, "/API/v1/zones", "Bearer " + Token[..^1]));
        Assert.Equal(HttpStatusCode.OK, await Status(http, "/api/v1/zones", "Bearer " + Token));
        Assert.Equal(HttpStatusCode.OK, await Status(http, "/api/v1/alerts", "bearer " + Token));
        Assert.Equal(HttpStatusCode.OK, await Status(http, "/metrics", null));
        Assert.Equal(HttpStatusCode.OK, await Status(http, "/healthz", null));
        Assert.DoesNotContain(Token, d.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protected_metrics_need_the_token_read_from_a_file()
    {
        var tokenFile = Path.Combine(_dir, "token");
        await File.WriteAllTextAsync(tokenFile, Token + "\n");
        using var d = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {_dir}\nhttp:\n  apiTokenFile: {tokenFile}\n  protectMetrics: true\n");
        await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(d.BaseUrl) };

        Assert.Equal(HttpStatusCode.Unauthorized, await Status(http, "/metrics", null));
        Assert.Equal(HttpStatusCode.OK, await Status(http, "/metrics", "Bearer " + Token));
        Assert.Equal(HttpStatusCode.OK, await Status(http, "/readyz", null));
        Assert.DoesNotContain(Token, d.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_headers_and_request_lines_are_refused_before_any_handler()
    {
        using var d = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {_dir}\nhttp:\n  maxRequestHeaderBytes: 4096\n");
        await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(d.BaseUrl) };

        using var big = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        big.Headers.Add("X-Filler", new string('a', 8192));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await http.SendAsync(big)).StatusCode);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, await Status(http, "/api/v1/evidence/" + new string('b', 9000), null));
        // And the daemon is still serving.
        Assert.Equal(HttpStatusCode.OK, await Status(http, "/healthz", null));
    }

    /// <summary>DNS rebinding: a page whose name now resolves to 127.0.0.1 sends its own name as Host.</summary>
    [Fact]
    public async Task Without_a_token_a_foreign_host_header_is_refused_on_every_path_and_with_a_token_the_token_decides()
    {
        using (var d = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {_dir}\n"))
        {
            await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(60));
            foreach (var path in new[] { "/api/v1/zones", "/api/v1/alerts", "/metrics", "/healthz", "/nope" })
            {
                var (status, body) = await RawGet(d.Port, path, "rebind.attacker.example:" + d.Port.ToString(CultureInfo.InvariantCulture), null);
                Assert.Equal(400, status);
                Assert.DoesNotContain("attacker", body, StringComparison.Ordinal);
            }

            foreach (var host in new[] { "127.0.0.1:" + d.Port.ToString(CultureInfo.InvariantCulture), "localhost:" + d.Port.ToString(CultureInfo.InvariantCulture), "localhost" })
            {
                Assert.Equal(200, (await RawGet(d.Port, "/api/v1/zones", host, null)).Status);
            }
        }

        using (var d = new DaemonProcess(["--interval", "1s"], $"state:\n  dir: {_dir}\nhttp:\n  apiTokenEnv: LWPW_TEST_TOKEN\n", new Dictionary<string, string> { ["LWPW_TEST_TOKEN"] = Token }))
        {
            await d.WaitForAsync("/readyz", TimeSpan.FromSeconds(60));
            Assert.Equal(200, (await RawGet(d.Port, "/api/v1/zones", "scraper.example.org", "Bearer " + Token)).Status);
            Assert.Equal(401, (await RawGet(d.Port, "/api/v1/zones", "rebind.attacker.example", null)).Status);
        }
    }

    [Fact]
    public void Token_check_is_exact_and_covers_api_always_and_metrics_only_when_asked()
    {
        var open = new BearerAuth(Token, protectMetrics: false);
        Assert.True(open.Guarded("/api/v1/zones"));
        Assert.True(open.Guarded("/API/v1/evidence/x"));
        Assert.False(open.Guarded("/metrics"));
        Assert.False(open.Guarded("/healthz"));
        Assert.False(open.Guarded("/apix"));
        Assert.True(new BearerAuth(Token, protectMetrics: true).Guarded("/metrics"));
        Assert.True(open.Authorized("Bearer " + Token));
        Assert.False(open.Authorized("Bearer " + Token + "x"));
        Assert.False(open.Authorized("Basic " + Token));
        Assert.False(open.Authorized(""));
    }

    [Fact]
    public void Token_settings_are_validated()
    {
        var both = ConfigLoader.LoadText("http:\n  apiTokenFile: /a\n  apiTokenEnv: B\n");
        Assert.Contains(both.Errors, e => e.StartsWith("http.apiTokenFile:", StringComparison.Ordinal));
        var noToken = ConfigLoader.LoadText("http:\n  protectMetrics: true\n");
        Assert.Contains(noToken.Errors, e => e.StartsWith("http.protectMetrics:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_token_source_stops_the_start_with_a_message_naming_where_it_looked()
    {
        var config = Path.Combine(_dir, "c.yaml");
        File.WriteAllText(config, $"state:\n  dir: {_dir}\nhttp:\n  listen: http://127.0.0.1:{TestTools.FreePort().ToString(CultureInfo.InvariantCulture)}\n  apiTokenEnv: LWPW_UNSET_TOKEN_VAR\n");
        var (code, _, stderr) = TestTools.Run(TestTools.Lwpwatch, ["run", "--config", config], TimeSpan.FromSeconds(30));
        Assert.Equal(1, code);
        Assert.Contains("LWPW_UNSET_TOKEN_VAR", stderr, StringComparison.Ordinal);
    }

    /// <summary>One GET with exactly this Host header (HttpClient would derive it from the URL).</summary>
    private static async Task<(int Status, string Body)> RawGet(int port, string path, string host, string? authorization)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var auth = authorization is null ? "" : $"Authorization: {authorization}\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n"));
        using var reader = new StreamReader(stream);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var status = int.Parse(response.AsSpan(9, 3), CultureInfo.InvariantCulture);
        return (status, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    private static async Task<HttpStatusCode> Status(HttpClient http, string path, string? authorization)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null)
        {
            req.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var r = await http.SendAsync(req);
        return r.StatusCode;
    }

    private static IEnumerable<IPAddress> NonLoopbackIPv4() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
