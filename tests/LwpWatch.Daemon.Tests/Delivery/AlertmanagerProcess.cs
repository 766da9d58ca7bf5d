using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using LwpWatch.Daemon.Tests.Packaging;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// A real Alertmanager (Debian's prometheus-alertmanager) on loopback, gossip off, temp storage, with one
/// webhook receiver so a test can see what Alertmanager itself sends on. Killed and cleaned up on dispose.
/// </summary>
public sealed class AlertmanagerProcess : IDisposable
{
    private readonly Process _p;
    private readonly string _dir;
    private readonly StringBuilder _log = new();

    /// <param name="basicAuthUsers">user -> bcrypt hash: Alertmanager's --web.config.file then refuses every request without basic auth.</param>
    public AlertmanagerProcess(Uri webhook, IReadOnlyDictionary<string, string>? basicAuthUsers = null)
        : this(
            $"""
            route:
              receiver: hook
              group_by: [alertname, zone]
              group_wait: 0s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: hook
                webhook_configs:
                  - url: {webhook}
                    send_resolved: true
            """,
            ["--cluster.listen-address="],
            TestReceiver.FreePort(),
            basicAuthUsers)
    {
    }

    /// <summary>Any configuration and flags (e.g. cluster membership); --web.external-url is this member's own URL, so a webhook body says which member sent it.</summary>
    public AlertmanagerProcess(string configYaml, IReadOnlyList<string> extraArgs, int port, IReadOnlyDictionary<string, string>? basicAuthUsers = null)
    {
        Port = port;
        _dir = Directory.CreateTempSubdirectory("lwpw-test-am-").FullName;
        var config = Path.Combine(_dir, "alertmanager.yml");
        File.WriteAllText(config, configYaml);
        List<string> args =
        [
            $"--config.file={config}",
            $"--storage.path={Path.Combine(_dir, "data")}",
            $"--web.listen-address=127.0.0.1:{Port}",
            $"--web.external-url={BaseUrl}",
            .. extraArgs,
        ];
        if (basicAuthUsers is not null)
        {
            // The exporter-toolkit web config (prometheus/exporter-toolkit docs/web-configuration.md).
            var web = Path.Combine(_dir, "web.yml");
            File.WriteAllText(web, "basic_auth_users:\n" + string.Concat(basicAuthUsers.Select(u => $"  {u.Key}: '{u.Value}'\n")));
            args.Add($"--web.config.file={web}");
        }

        var psi = new ProcessStartInfo("prometheus-alertmanager", args)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start prometheus-alertmanager");
        _p.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _p.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _p.BeginErrorReadLine();
        _p.BeginOutputReadLine();
    }

    /// <summary>
    /// The shipped packaging/alertmanager/alertmanager.yml, so its route and inhibit_rules are what a test exercises;
    /// only its waits (shortened for a test) and its receiver URL (the test's webhook) change.
    /// </summary>
    public static string ShippedConfig(Uri webhook, string groupWait, string? groupInterval = null)
    {
        var shipped = File.ReadAllText(Repo.Path("packaging", "alertmanager", "alertmanager.yml"));
        var config = Regex.Replace(shipped, @"(?m)^(\s+group_wait:) \S+$", "$1 " + groupWait);
        if (groupInterval is not null)
        {
            config = Regex.Replace(config, @"(?m)^(\s+group_interval:) \S+$", "$1 " + groupInterval);
        }

        config = Regex.Replace(config, @"(?m)^(\s+- url:) \S+$", "$1 " + webhook.AbsoluteUri);
        return config.Contains(webhook.AbsoluteUri, StringComparison.Ordinal) && config.Contains("group_wait: " + groupWait, StringComparison.Ordinal)
            ? config
            : throw new InvalidOperationException("alertmanager.yml changed shape: its group_wait or webhook url line was not found");
    }

    public int Port { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}");

    public bool HasExited => _p.HasExited;

    /// <summary>SIGKILL, by its pid: the member dies as in a crash (no graceful leave from the cluster).</summary>
    public void Kill()
    {
        if (!_p.HasExited)
        {
            _p.Kill();
            _p.WaitForExit(5000);
        }
    }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task WaitReadyAsync(HttpClient http)
    {
        // 60 s: a loaded 2-core CI box with a VM image build beside it can take far longer than an idle one to start
        // Alertmanager; the wait returns as soon as /-/ready answers.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var r = await http.GetAsync(new Uri(BaseUrl, "/-/ready"));
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline || _p.HasExited)
            {
                throw new TimeoutException("alertmanager did not become ready:\n" + Log);
            }

            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_p.HasExited)
            {
                _p.Kill();
                _p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _p.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
