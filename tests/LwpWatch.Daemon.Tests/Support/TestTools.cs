using System.Diagnostics;

namespace LwpWatch.Daemon.Tests.Support;

/// <summary>Paths and small process helpers shared by integration tests.</summary>
public static class TestTools
{
    private static readonly Lazy<string> SpawnBinary = new(BuildSpawn);

    /// <summary>
    /// The `lwpwatch` executable the end-to-end tests run: $LWPWATCH_BIN when set (test.sh's second pass points it
    /// at the published NativeAOT binary, the one users install), else the JIT apphost built next to the tests.
    /// Tests that run it carry [Trait("Binary", "lwpwatch")], so that pass can select them.
    /// </summary>
    public static string Lwpwatch { get; } =
        Environment.GetEnvironmentVariable("LWPWATCH_BIN") is { Length: > 0 } bin ? Path.GetFullPath(bin) : Path.Combine(AppContext.BaseDirectory, "lwpwatch");

    /// <summary>A C helper that tries to create N threads then idles; compiled once per test run.</summary>
    public static string Spawn => SpawnBinary.Value;

    public static string FixturePath(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    public static string NewTempDir(string prefix = "lwpw-test-")
    {
        var dir = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs a tool to completion with a hard timeout; for test set-up, not for the product.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, TimeSpan timeout, string? stdin = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }

        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }

        return (p.ExitCode, o.Result, e.Result);
    }

    public static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string BuildSpawn()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lwpw-test-tools");
        Directory.CreateDirectory(dir);
        var exe = Path.Combine(dir, $"spawn-{Environment.ProcessId}");
        var (code, _, err) = Run("gcc", ["-O2", "-pthread", "-o", exe, FixturePath("spawn.c")], TimeSpan.FromSeconds(60));
        if (code != 0)
        {
            throw new InvalidOperationException($"gcc failed: {err}");
        }

        return exe;
    }
}
