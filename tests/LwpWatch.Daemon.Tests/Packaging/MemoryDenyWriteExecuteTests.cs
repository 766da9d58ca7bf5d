using LwpWatch.Daemon.Tests.Support;
using Xunit;

namespace LwpWatch.Daemon.Tests.Packaging;

/// <summary>
/// The unit sets MemoryDenyWriteExecute=yes because the shipped Linux binary is NativeAOT: it never makes a
/// page writable and executable. The kernel's PR_SET_MDWE (Fixtures/mdwe.c) enforces the same rule on the
/// real binary here; the JIT build dies under it, which is why install.sh removes the line for the portable
/// (JIT) build. Both passes of test.sh run this: the JIT build in the first, the native binary in the second.
/// </summary>
[Trait("Binary", "lwpwatch")]
public sealed class MemoryDenyWriteExecuteTests
{
    [Fact]
    public void The_native_binary_polls_serves_and_stores_under_MDWE_and_the_JIT_build_cannot()
    {
        var dir = TestTools.NewTempDir();
        try
        {
            var mdwe = Path.Combine(dir, "mdwe");
            var (gcc, _, gccErr) = TestTools.Run("gcc", ["-O2", "-o", mdwe, TestTools.FixturePath("mdwe.c")], TimeSpan.FromSeconds(60));
            Assert.True(gcc == 0, gccErr);
            Assert.True(File.Exists("/usr/share/dotnet/dotnet") || TestTools.Run("sh", ["-c", "command -v dotnet"], TimeSpan.FromSeconds(5)).ExitCode == 0, "needs dotnet for the JIT half");

            // check: a poll of the real host, the rules, the JSON contract.
            var (code, stdout, stderr) = TestTools.Run(mdwe, [TestTools.Lwpwatch, "check", "--format", "json"], TimeSpan.FromSeconds(60));
            var native = !File.Exists(Path.Combine(Path.GetDirectoryName(TestTools.Lwpwatch)!, "lwpwatch.dll"));
            if (native)
            {
                Assert.True(code is 0 or 1 or 2, $"native check under MDWE exit {code}\n{stdout}\n{stderr}");
                Assert.StartsWith("{", stdout.TrimStart(), StringComparison.Ordinal);

                // run: HTTP, the SQLite outbox and the poll loop, then a clean SIGTERM.
                var state = Path.Combine(dir, "state");
                var port = TestTools.FreePort();
                File.WriteAllText(Path.Combine(dir, "c.yaml"), $"state:\n  dir: {state}\npoll:\n  interval: 1s\n");
                var psi = new System.Diagnostics.ProcessStartInfo(mdwe) { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { TestTools.Lwpwatch, "run", "--config", Path.Combine(dir, "c.yaml"), "--listen", $"http://127.0.0.1:{port}" })
                {
                    psi.ArgumentList.Add(a);
                }

                using var p = System.Diagnostics.Process.Start(psi)!;
                var output = new System.Text.StringBuilder();
                p.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
                p.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                try
                {
                    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                    string? metrics = null;
                    for (var i = 0; i < 300 && metrics is null && !p.HasExited; i++)
                    {
                        try
                        {
                            var r = http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics")).GetAwaiter().GetResult();
                            metrics = r.IsSuccessStatusCode && r.Content.ReadAsStringAsync().GetAwaiter().GetResult() is { } body && body.Contains("lwpwatch_poll_duration_seconds", StringComparison.Ordinal) ? body : null;
                        }
                        catch (HttpRequestException)
                        {
                        }

                        Thread.Sleep(100);
                    }

                    Assert.True(metrics is not null, $"no /metrics under MDWE:\n{output}");
                    Assert.True(File.Exists(Path.Combine(state, "outbox.db")), "the SQLite outbox was not opened");
                    TestTools.Run("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
                    Assert.True(p.WaitForExit(20_000), "no exit after SIGTERM");
                    Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}:\n{output}");
                }
                finally
                {
                    if (!p.HasExited)
                    {
                        p.Kill(true);
                    }
                }
            }
            else
            {
                // The JIT needs pages it writes and then executes: the kernel refuses, the runtime dies.
                Assert.True(code is not (0 or 1 or 2 or 111), $"the JIT build ran under MDWE (exit {code}): install.sh need not drop the line\n{stderr}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
