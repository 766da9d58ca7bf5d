using System.Diagnostics;
using System.Text;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>`lwpwatch run` as a real child process (the built lwpwatch.dll next to the tests), killable with SIGKILL.</summary>
public sealed class DaemonProcess : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _out = new();

    public DaemonProcess(string configPath)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "lwpwatch.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "run", "--config", configPath])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start lwpwatch");
        _p.OutputDataReceived += (_, e) => Append(e.Data);
        _p.ErrorDataReceived += (_, e) => Append(e.Data);
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public bool HasExited => _p.HasExited;

    /// <summary>SIGKILL: no shutdown hooks, no flush.</summary>
    public void Kill()
    {
        if (!_p.HasExited)
        {
            _p.Kill(entireProcessTree: true);
            _p.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Kill();
        _p.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_out)
        {
            if (_out.Length < 200_000)
            {
                _out.AppendLine(line);
            }
        }
    }
}
