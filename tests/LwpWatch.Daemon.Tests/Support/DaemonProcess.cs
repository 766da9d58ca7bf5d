using System.Diagnostics;
using System.Text;

namespace LwpWatch.Daemon.Tests.Support;

/// <summary>`lwpwatch run` as a real child process on a free loopback port; Dispose kills it.</summary>
public sealed class DaemonProcess : IDisposable
{
    private readonly Process _proc;
    private readonly StringBuilder _output = new();

    /// <param name="wrapper">A command that runs the daemon (e.g. strace and its flags, ending in "--"); null = run it directly.</param>
    public DaemonProcess(IEnumerable<string> extraArgs, string? configYaml = null, IDictionary<string, string>? env = null, IReadOnlyList<string>? wrapper = null)
    {
        Port = TestTools.FreePort();
        BaseUrl = $"http://127.0.0.1:{Port}";
        var psi = new ProcessStartInfo(wrapper is null ? TestTools.Lwpwatch : wrapper[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (wrapper is not null)
        {
            foreach (var w in wrapper.Skip(1))
            {
                psi.ArgumentList.Add(w);
            }

            psi.ArgumentList.Add(TestTools.Lwpwatch);
        }

        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add("--listen");
        psi.ArgumentList.Add(BaseUrl);
        if (configYaml is not null)
        {
            ConfigPath = System.IO.Path.Combine(TestTools.NewTempDir(), "lwpwatch.yaml");
            File.WriteAllText(ConfigPath, configYaml);
            psi.ArgumentList.Add("--config");
            psi.ArgumentList.Add(ConfigPath);
        }

        foreach (var a in extraArgs)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        _proc = Process.Start(psi)!;
        _proc.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _proc.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _proc.BeginOutputReadLine();
        _proc.BeginErrorReadLine();
    }

    public int Port { get; }

    public string BaseUrl { get; }

    public string? ConfigPath { get; }

    public int Pid => _proc.Id;

    public bool HasExited => _proc.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Polls <paramref name="path"/> until it answers 200 (or the deadline passes).</summary>
    public async Task<string> WaitForAsync(string path, TimeSpan timeout, Func<string, bool>? until = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (true)
        {
            // Read before the probe: the probe that starts after the deadline is the last one, so a loaded box that
            // kept this loop asleep past the deadline still gets one look at a condition that meanwhile holds.
            var expired = DateTime.UtcNow >= deadline;
            if (_proc.HasExited)
            {
                throw new InvalidOperationException($"lwpwatch exited with {_proc.ExitCode}:\n{Output}");
            }

            try
            {
                var r = await http.GetAsync(BaseUrl + path);
                last = await r.Content.ReadAsStringAsync();
                if (r.IsSuccessStatusCode && (until is null || until(last)))
                {
                    return last;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
                // HttpClient's own 5 s timeout (no caller token here): a daemon busy on a loaded box answers a
                // later probe; only the deadline ends the wait.
            }

            if (expired)
            {
                break;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{path} not ready in {timeout}; last body: {last}\nlog:\n{Output}");
    }

    public void Kill(bool hard = true)
    {
        if (_proc.HasExited)
        {
            return;
        }

        if (hard)
        {
            _proc.Kill(true);
        }
        else
        {
            TestTools.Run("kill", ["-TERM", _proc.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
        }

        _proc.WaitForExit(15000);
    }

    public int? ExitCode => _proc.HasExited ? _proc.ExitCode : null;

    public void Dispose()
    {
        Kill();
        _proc.Dispose();
    }
}
