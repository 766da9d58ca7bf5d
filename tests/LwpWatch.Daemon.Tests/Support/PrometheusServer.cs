using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LwpWatch.Daemon.Tests.Support;

/// <summary>
/// The real Prometheus server (Debian package `prometheus`) on a free loopback port with its own temp TSDB,
/// scraping what the test points it at every second. Dispose kills it (by its pid) and removes the dir.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _proc;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public PrometheusServer(string configYaml, IReadOnlyDictionary<string, string>? extraFiles = null)
    {
        Dir = TestTools.NewTempDir("lwpw-test-prom-");
        File.WriteAllText(System.IO.Path.Combine(Dir, "prometheus.yml"), configYaml);
        foreach (var (name, text) in extraFiles ?? new Dictionary<string, string>())
        {
            File.WriteAllText(System.IO.Path.Combine(Dir, name), text);
        }

        Port = TestTools.FreePort();
        BaseUrl = $"http://127.0.0.1:{Port}";
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Dir };
        foreach (var a in new[]
        {
            "--config.file=" + System.IO.Path.Combine(Dir, "prometheus.yml"),
            "--storage.tsdb.path=" + System.IO.Path.Combine(Dir, "tsdb"),
            "--web.listen-address=127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture),
            "--log.level=warn",
        })
        {
            psi.ArgumentList.Add(a);
        }

        _proc = Process.Start(psi)!;
        _proc.OutputDataReceived += (_, e) => Append(e.Data);
        _proc.ErrorDataReceived += (_, e) => Append(e.Data);
        _proc.BeginOutputReadLine();
        _proc.BeginErrorReadLine();
    }

    public static string Binary => File.Exists("/usr/bin/prometheus") ? "/usr/bin/prometheus" : "prometheus";

    public string Dir { get; }

    public int Port { get; }

    public string BaseUrl { get; }

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

    public Task WaitReadyAsync(TimeSpan timeout) =>
        PollAsync(timeout, async () =>
        {
            using var r = await _http.GetAsync(BaseUrl + "/-/ready");
            return r.IsSuccessStatusCode ? true : (bool?)null;
        }, "/-/ready");

    /// <summary>Runs an instant query until it returns at least one series; returns data.result.</summary>
    public Task<JsonElement> WaitForQueryAsync(string promql, TimeSpan timeout) =>
        PollAsync(timeout, async () =>
        {
            var doc = await _http.GetFromJsonAsync<JsonElement>(BaseUrl + "/api/v1/query?query=" + Uri.EscapeDataString(promql));
            var result = doc.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() > 0 ? result : (JsonElement?)null;
        }, promql);

    /// <summary>Polls /api/v1/alerts until <paramref name="match"/> finds an alert; returns it.</summary>
    public Task<JsonElement> WaitForAlertAsync(Func<JsonElement, bool> match, TimeSpan timeout, string what) =>
        PollAsync(timeout, async () =>
        {
            var doc = await _http.GetFromJsonAsync<JsonElement>(BaseUrl + "/api/v1/alerts");
            foreach (var a in doc.GetProperty("data").GetProperty("alerts").EnumerateArray())
            {
                if (match(a))
                {
                    return a;
                }
            }

            return (JsonElement?)null;
        }, what);

    public void Dispose()
    {
        try
        {
            if (!_proc.HasExited)
            {
                _proc.Kill(entireProcessTree: true);
                _proc.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _proc.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task<T> PollAsync<T>(TimeSpan timeout, Func<Task<T?>> probe, string what)
        where T : struct
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            // Read before the probe: the probe that starts after the deadline is the last one, so a loaded box that
            // kept this loop asleep past the deadline still gets one look at a condition that meanwhile holds.
            var expired = deadline.Elapsed >= timeout;
            if (_proc.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_proc.ExitCode}:\n{Log}");
            }

            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (HttpRequestException ex)
            {
                last = ex;
            }
            catch (TaskCanceledException ex)
            {
                // The HttpClient's own timeout on one probe (a Prometheus busy on a loaded box): the next may answer.
                last = ex;
            }

            if (expired)
            {
                break;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"prometheus: '{what}' not satisfied within {timeout} ({last?.Message}); log:\n{Log}");
    }
}
