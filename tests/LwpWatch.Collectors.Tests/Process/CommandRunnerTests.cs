using System.Globalization;
using LwpWatch.Collectors.Process;
using Xunit;

namespace LwpWatch.Collectors.Tests.Process;

public sealed class CommandRunnerTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("lwpw-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task CapturesStdoutStderrAndExitCode()
    {
        var r = await new CommandRunner().RunAsync(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], Generous, CancellationToken.None);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.False(r.Succeeded);
        Assert.False(r.TimedOut);
        Assert.Null(r.StartError);
        Assert.Contains("exited 3: err", r.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZeroExitSucceeds()
    {
        var r = await new CommandRunner().RunAsync(["true"], Generous, CancellationToken.None);
        Assert.Equal(0, r.ExitCode);
        Assert.True(r.Succeeded);
    }

    [Fact]
    public async Task PassesArgvWithoutAShell()
    {
        var r = await new CommandRunner().RunAsync(["echo", "a  b", "$HOME", "*"], Generous, CancellationToken.None);
        Assert.Equal("a  b $HOME *\n", r.Stdout);
    }

    [Fact]
    public async Task RunsWithCLocale()
    {
        var r = await new CommandRunner().RunAsync(["/bin/sh", "-c", "echo \"$LC_ALL|$LANG\""], Generous, CancellationToken.None);
        Assert.Equal("C|C\n", r.Stdout);
    }

    [Fact]
    public async Task ACommandThatNeverExitsIsKilledOnTimeout()
    {
        var pidFile = Path.Combine(_dir, "pid");
        var childFile = Path.Combine(_dir, "child");
        // The shell forks a grandchild too: the whole tree must go, not just the direct child.
        var script = $"echo $$ > {pidFile}; sleep 600 & echo $! > {childFile}; wait";
        // 5 s: sh has to start, write the pid file, fork sleep and write the child file before the kill, on a
        // loaded 2-core CI box with a VM image build beside it (700 ms did not always); sleep 600 still outlives it.
        var r = await new CommandRunner().RunAsync(["/bin/sh", "-c", script], TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.True(r.TimedOut);
        Assert.Equal(-1, r.ExitCode);
        Assert.False(r.Succeeded);
        Assert.Contains("timed out", r.Describe(), StringComparison.Ordinal);
        await AssertGoneAsync(ReadPid(pidFile));
        await AssertGoneAsync(ReadPid(childFile));
    }

    [Fact]
    public async Task OutputIsKeptWhenAnEscapedGrandchildHoldsThePipeOpen()
    {
        var childFile = Path.Combine(_dir, "child");
        // The tool exits at once but leaves a detached grandchild (new session, reparented to init) holding
        // stdout: the runner must stop waiting for EOF and still return what the tool printed.
        var script = $"echo early; setsid /bin/sleep 600 & echo $! > {childFile}; exit 0";
        var r = await new CommandRunner().RunAsync(["/bin/sh", "-c", script], Generous, CancellationToken.None);
        try
        {
            Assert.Equal(0, r.ExitCode);
            Assert.False(r.TimedOut);
            Assert.Equal("early\n", r.Stdout);
        }
        finally
        {
            using var grandchild = System.Diagnostics.Process.GetProcessById(ReadPid(childFile));
            grandchild.Kill();
        }
    }

    [Fact]
    public async Task CallerCancellationKillsAndThrows()
    {
        var pidFile = Path.Combine(_dir, "pid");
        using var cts = new CancellationTokenSource();
        var run = new CommandRunner().RunAsync(["/bin/sh", "-c", $"echo $$ > {pidFile}; exec sleep 600"], Generous, cts.Token);
        while (!File.Exists(pidFile) || new FileInfo(pidFile).Length == 0)
        {
            await Task.Delay(20);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await AssertGoneAsync(ReadPid(pidFile));
    }

    [Fact]
    public async Task HugeOutputIsTruncatedAndFlaggedButDrained()
    {
        var runner = new CommandRunner(maxOutputBytes: 64 * 1024);
        // 8 MB: far more than the pipe buffer, so a runner that stopped reading would hang the child.
        var r = await runner.RunAsync(["/bin/sh", "-c", "head -c 8000000 /dev/zero | tr '\\0' x; echo done >&2"], Generous, CancellationToken.None);
        Assert.Equal(0, r.ExitCode);
        Assert.True(r.Truncated);
        Assert.Equal(64 * 1024, r.Stdout.Length);
        Assert.Equal("done\n", r.Stderr);
    }

    [Fact]
    public async Task OutputExactlyAtTheCapIsNotFlagged()
    {
        var r = await new CommandRunner(maxOutputBytes: 1000).RunAsync(["/bin/sh", "-c", "head -c 1000 /dev/zero | tr '\\0' y"], Generous, CancellationToken.None);
        Assert.False(r.Truncated);
        Assert.Equal(1000, r.Stdout.Length);
    }

    [Fact]
    public async Task MissingExecutableIsAStartError()
    {
        var r = await new CommandRunner().RunAsync(["lwpw-no-such-tool-" + Guid.NewGuid().ToString("N")], Generous, CancellationToken.None);
        Assert.NotNull(r.StartError);
        Assert.Equal(-1, r.ExitCode);
        Assert.False(r.Succeeded);
        Assert.Contains("could not start", r.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonExecutableFileIsAStartError()
    {
        var path = Path.Combine(_dir, "not-executable");
        await File.WriteAllTextAsync(path, "#!/bin/sh\necho hi\n");
        var r = await new CommandRunner().RunAsync([path], Generous, CancellationToken.None);
        Assert.NotNull(r.StartError);
    }

    [Fact]
    public async Task SearchPathFindsBareToolNamesThereOnly()
    {
        var tool = Path.Combine(_dir, "svcs");
        await File.WriteAllTextAsync(tool, "#!/bin/sh\necho fake \"$@\"\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var runner = new CommandRunner(searchPath: _dir);

        var r = await runner.RunAsync(["svcs", "-a"], Generous, CancellationToken.None);
        Assert.Equal("fake -a\n", r.Stdout);

        var missing = await runner.RunAsync(["true"], Generous, CancellationToken.None);
        Assert.NotNull(missing.StartError);
        Assert.Contains(_dir, missing.StartError, StringComparison.Ordinal);
    }

    private static int ReadPid(string file) => int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Waits (bounded) for the kernel to reap the pid; a killed process can linger for a moment as it exits.</summary>
    private static async Task AssertGoneAsync(int pid)
    {
        for (var i = 0; i < 250 && IsAlive(pid); i++)
        {
            await Task.Delay(20);
        }

        Assert.False(IsAlive(pid), $"process {pid} is still running");
    }

    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            // A zombie (state Z) is dead: it only waits for its parent to reap it.
            var text = File.ReadAllText(stat);
            return !text[(text.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
