using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using LwpWatch.Collectors.Capture;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using Xunit;

namespace LwpWatch.Collectors.Tests.Capture;

public sealed class CaptureReplayTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 5, TimeSpan.Zero);
    private readonly string _tmp = Directory.CreateTempSubdirectory("lwpw-test-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private string Host => Path.Combine(_tmp, "host");

    private string Bundle => Path.Combine(_tmp, "bundle");

    private void MakeHostTree()
    {
        Directory.CreateDirectory(Path.Combine(Host, "proc", "42"));
        Directory.CreateDirectory(Path.Combine(Host, "proc", "43"));
        Directory.CreateDirectory(Path.Combine(Host, "empty"));
        File.WriteAllText(Path.Combine(Host, "proc", "42", "stat"), "42 (x) S 1 ünïcode\n");
        File.WriteAllBytes(Path.Combine(Host, "proc", "42", "psinfo"), [0, 1, 2, 255, 0, 7]);
        File.WriteAllText(Path.Combine(Host, "marker"), "");
        File.SetLastWriteTimeUtc(Path.Combine(Host, "marker"), new DateTime(2025, 9, 8, 9, 4, 54, DateTimeKind.Utc));
    }

    /// <summary>Everything a collector can ask, through the recorder, returning the answers.</summary>
    private async Task<List<object?>> AskAllAsync(IHostSource io)
    {
        var answers = new List<object?>
        {
            io.ReadText(Host + "/proc/42/stat"),
            Convert.ToHexString(io.ReadBytes(Host + "/proc/42/psinfo", 100)!),
            Convert.ToHexString(io.ReadBytes(Host + "/proc/42/psinfo", 3)!),
            io.ReadText(Host + "/proc/44/stat"),
            io.ReadBytes(Host + "/nope", 10),
            string.Join(',', io.ListDirectories(Host + "/proc").Order(StringComparer.Ordinal)),
            string.Join(',', io.ListDirectories(Host + "/empty")),
            string.Join(',', io.ListDirectories(Host + "/missing-dir")),
            io.FileExists(Host + "/marker"),
            io.FileExists(Host + "/proc"),
            io.FileExists(Host + "/gone"),
            io.DirectoryExists(Host + "/proc/43"),
            io.DirectoryExists(Host + "/marker"),
            io.GetModifiedTime(Host + "/marker"),
            io.GetModifiedTime(Host + "/no-marker"),
        };
        var timeout = TimeSpan.FromSeconds(20);
        foreach (string[] argv in (string[][])[["echo", "hello"], ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], ["lwpw-missing-tool-xyz"]])
        {
            var r = await io.RunAsync(argv, timeout, CancellationToken.None);
            answers.Add($"{string.Join(' ', r.Argv)}|{r.ExitCode}|{r.Stdout}|{r.Stderr}|{r.TimedOut}|{r.StartError is not null}");
        }

        var slow = await io.RunAsync(["sleep", "30"], TimeSpan.FromMilliseconds(300), CancellationToken.None);
        answers.Add($"{slow.TimedOut}|{slow.ExitCode}");
        return answers;
    }

    [Fact]
    public void A_socket_is_recorded_as_existing_and_replays_so()
    {
        // The system bus socket: the systemd collector asks only whether it exists; opening it gives ENXIO, which
        // once failed that collector in every capture of a systemd host (VM suite, issue 14).
        Directory.CreateDirectory(Host);
        var path = Path.Combine(Host, "system_bus_socket");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        var recorder = new RecordingHostSource(new LiveHostSource(new CommandRunner()));
        Assert.True(recorder.FileExists(path));
        Assert.Contains("system_bus_socket", recorder.ListEntries(Host));
        var writer = BundleWriter.Create(Bundle, "linux", "node-1");
        writer.WritePoll(T0, recorder.TakeRecording());
        var replay = BundleReader.Open(Bundle).OpenPoll(1);
        Assert.True(replay.FileExists(path));
    }

    [Fact]
    public async Task ReplayAnswersExactlyWhatTheLiveHostAnsweredWhenRecorded()
    {
        MakeHostTree();
        var recorder = new RecordingHostSource(new LiveHostSource(new CommandRunner()));
        var live = await AskAllAsync(recorder);
        var writer = BundleWriter.Create(Bundle, "linux", "node-1");
        Assert.Equal(1, writer.WritePoll(T0, recorder.TakeRecording()));

        // Change the host afterwards: replay must not look at it.
        Directory.Delete(Host, recursive: true);

        var reader = BundleReader.Open(Bundle);
        Assert.Equal(("linux", "node-1", 1), (reader.Platform, reader.Host, reader.Polls.Length));
        Assert.Equal(T0, reader.Polls[0].TakenAt);
        var replayed = await AskAllAsync(reader.OpenPoll(1));
        Assert.Equal(live, replayed);
    }

    [Fact]
    public async Task TheBundleOnDiskHasTheDocumentedFormat()
    {
        MakeHostTree();
        var recorder = new RecordingHostSource(new LiveHostSource(new CommandRunner()));
        await AskAllAsync(recorder);
        var writer = BundleWriter.Create(Bundle, "illumos", "cn-7");
        writer.WritePoll(T0, recorder.TakeRecording());
        recorder.ReadText(Host + "/proc/42/stat");
        writer.WritePoll(T0.AddSeconds(30), recorder.TakeRecording());

        using (var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(Bundle, "bundle.json"))))
        {
            Assert.Equal(1, b.RootElement.GetProperty("version").GetInt32());
            Assert.Equal("illumos", b.RootElement.GetProperty("platform").GetString());
            Assert.Equal("cn-7", b.RootElement.GetProperty("host").GetString());
            Assert.Equal(2, b.RootElement.GetProperty("polls").GetInt32());
        }

        var p1 = Path.Combine(Bundle, "polls", "0001");
        using (var poll = JsonDocument.Parse(File.ReadAllText(Path.Combine(p1, "poll.json"))))
        {
            Assert.Equal("2026-11-22T00:00:05.0000000Z", poll.RootElement.GetProperty("takenAt").GetString());
        }

        // files/<abs path>, binary as is.
        Assert.Equal(new byte[] { 0, 1, 2, 255, 0, 7 }, File.ReadAllBytes(Path.Combine(p1, "files") + Host + "/proc/42/psinfo"));
        Assert.Equal("42 (x) S 1 ünïcode\n", File.ReadAllText(Path.Combine(p1, "files") + Host + "/proc/42/stat", Encoding.UTF8));

        using (var files = JsonDocument.Parse(File.ReadAllText(Path.Combine(p1, "files.json"))))
        {
            var entries = files.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!, e => e.GetProperty("mtime"));
            Assert.Equal("2025-09-08T09:04:54.0000000Z", entries[Host + "/marker"].GetString());
            Assert.Equal(JsonValueKind.Null, entries[Host + "/no-marker"].ValueKind);
            Assert.Equal(JsonValueKind.Null, entries[Host + "/proc/44/stat"].ValueKind);
        }

        using (var commands = JsonDocument.Parse(File.ReadAllText(Path.Combine(p1, "commands.json"))))
        {
            var c = commands.RootElement[1];
            Assert.Equal(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], c.GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
            Assert.Equal(3, c.GetProperty("exitCode").GetInt32());
            Assert.Equal("out\n", c.GetProperty("stdout").GetString());
            Assert.Equal("err\n", c.GetProperty("stderr").GetString());
            Assert.True(c.GetProperty("durationMs").GetInt64() >= 0);
            Assert.True(commands.RootElement[3].GetProperty("timedOut").GetBoolean());
            Assert.True(commands.RootElement[2].TryGetProperty("startError", out _));
        }

        // The second poll holds only what was asked during it.
        var p2 = BundleReader.Open(Bundle).OpenPoll(2);
        Assert.NotNull(p2.ReadText(Host + "/proc/42/stat"));
        Assert.Throws<BundleException>(() => p2.ReadBytes(Host + "/proc/42/psinfo", 10));
        Assert.Equal(T0.AddSeconds(30), p2.TakenAt);
    }

    [Fact]
    public async Task WhatTheBundleLacksIsAnErrorNamingIt()
    {
        MakeHostTree();
        var recorder = new RecordingHostSource(new LiveHostSource(new CommandRunner()));
        recorder.ReadText(Host + "/proc/42/stat");
        await recorder.RunAsync(["echo", "a"], TimeSpan.FromSeconds(10), CancellationToken.None);
        BundleWriter.Create(Bundle, "linux", "h").WritePoll(T0, recorder.TakeRecording());
        var replay = BundleReader.Open(Bundle).OpenPoll(1);

        Assert.Contains($"file {Host}/proc/42/cmdline was not recorded", Assert.Throws<BundleException>(() => replay.ReadText(Host + "/proc/42/cmdline")).Message, StringComparison.Ordinal);
        Assert.Contains("directory listing of /sys", Assert.Throws<BundleException>(() => replay.ListDirectories("/sys")).Message, StringComparison.Ordinal);
        Assert.Contains($"mtime of {Host}/marker", Assert.Throws<BundleException>(() => replay.GetModifiedTime(Host + "/marker")).Message, StringComparison.Ordinal);
        Assert.Contains("existence of /etc", Assert.Throws<BundleException>(() => replay.FileExists("/etc")).Message, StringComparison.Ordinal);
        var cmd = await Assert.ThrowsAsync<BundleException>(() => replay.RunAsync(["echo", "b"], TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Contains("command 'echo b'", cmd.Message, StringComparison.Ordinal);
        Assert.Contains("poll 1", cmd.Message, StringComparison.Ordinal);

        // The recorded argv is served, again and again.
        Assert.Equal("a\n", (await replay.RunAsync(["echo", "a"], TimeSpan.FromSeconds(1), CancellationToken.None)).Stdout);
        Assert.Equal("a\n", (await replay.RunAsync(["echo", "a"], TimeSpan.FromSeconds(1), CancellationToken.None)).Stdout);
    }

    [Fact]
    public void A_path_too_long_for_a_file_name_is_left_out_and_named_while_everything_else_is_stored()
    {
        // A 255-byte non-UTF-8 cgroup name is a 1,020-character escaped key segment: no file name can hold it.
        var hostile = "/sys/fs/cgroup/pids/" + string.Concat(Enumerable.Repeat("\\xff", 255));
        var recording = new PollRecording
        {
            Files = new Dictionary<string, byte[]>
            {
                ["/sys/fs/cgroup/pids/ok/pids.max"] = "30\n"u8.ToArray(),
                [hostile + "/pids.max"] = "3\n"u8.ToArray(),
                [hostile + "/pids.current"] = "3\n"u8.ToArray(),
            }.ToImmutableSortedDictionary(StringComparer.Ordinal),
            Directories = ImmutableSortedSet.Create(StringComparer.Ordinal, "/sys/fs/cgroup/pids/ok", hostile),
        };
        var writer = BundleWriter.Create(Bundle, "linux", "h");
        writer.WritePoll(T0, recording);

        Assert.Equal(3, writer.LastUnstored);
        using var poll = JsonDocument.Parse(File.ReadAllText(Path.Combine(Bundle, "polls", "0001", "poll.json")));
        Assert.Equal(3, poll.RootElement.GetProperty("unstoredCount").GetInt32());
        Assert.Equal([hostile, hostile + "/pids.current", hostile + "/pids.max"], poll.RootElement.GetProperty("unstored").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal).ToArray());

        // The bundle still opens and replays what was stored; the left-out cgroup is simply not there.
        var replay = BundleReader.Open(Bundle).OpenPoll(1);
        Assert.Equal("30\n", replay.ReadText("/sys/fs/cgroup/pids/ok/pids.max"));
        Assert.Equal(["ok"], replay.ListDirectories("/sys/fs/cgroup/pids"));
    }

    [Fact]
    public void PathsThatLeaveTheBundleAreRefused()
    {
        var writer = BundleWriter.Create(Bundle, "linux", "h");
        writer.WritePoll(T0, new PollRecording());
        var files = Path.Combine(Bundle, "polls", "0001", "files");
        Directory.CreateDirectory(Path.Combine(files, "proc", "1"));
        File.WriteAllText(Path.Combine(files, "proc", "1", "stat"), "inside");
        File.WriteAllText(Path.Combine(_tmp, "secret"), "outside");
        File.CreateSymbolicLink(Path.Combine(files, "abs"), Path.Combine(_tmp, "secret"));
        File.CreateSymbolicLink(Path.Combine(files, "rel-out"), "../../../../secret");
        Directory.CreateSymbolicLink(Path.Combine(files, "dir-out"), "../../../..");
        File.CreateSymbolicLink(Path.Combine(files, "rel-in"), "proc/1/stat");
        var replay = BundleReader.Open(Bundle).OpenPoll(1);

        Assert.Contains("'..'", Assert.Throws<BundleException>(() => replay.ReadText("/proc/../../../secret")).Message, StringComparison.Ordinal);
        Assert.Contains("absolute symlink", Assert.Throws<BundleViolationException>(() => replay.ReadText("/abs")).Message, StringComparison.Ordinal);
        Assert.Contains("leaves the bundle", Assert.Throws<BundleViolationException>(() => replay.ReadText("/rel-out")).Message, StringComparison.Ordinal);
        Assert.Contains("leaves the bundle", Assert.Throws<BundleViolationException>(() => replay.ReadText("/dir-out/secret")).Message, StringComparison.Ordinal);
        Assert.Equal("inside", replay.ReadText("/rel-in"));
        Assert.Throws<BundleException>(() => replay.ReadText("relative/path"));
    }

    [Fact]
    public void RecordingRefusesDotDotPaths()
    {
        var recorder = new RecordingHostSource(new LiveHostSource(new CommandRunner()));
        Assert.Throws<BundleException>(() => recorder.ReadText("/proc/../etc/passwd"));
    }

    [Fact]
    public void MalformedBundlesAreNamedErrors()
    {
        Assert.Contains("not a capture bundle", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle)).Message, StringComparison.Ordinal);
        Directory.CreateDirectory(Bundle);
        var json = Path.Combine(Bundle, "bundle.json");
        File.WriteAllText(json, "{\"version\":2,\"platform\":\"illumos\",\"host\":\"h\",\"polls\":1}");
        Assert.Contains("version 2", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle)).Message, StringComparison.Ordinal);
        File.WriteAllText(json, "{\"version\":1,\"platform\":\"aix\",\"host\":\"h\",\"polls\":1}");
        Assert.Contains("platform", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle)).Message, StringComparison.Ordinal);
        File.WriteAllText(json, "{\"version\":1,\"platform\":\"linux\",\"host\":\"h\",\"polls\":2}");
        Assert.Contains("says 2 polls but " + Path.Combine(Bundle, "polls") + " holds 0 poll directories", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle)).Message, StringComparison.Ordinal);
        Directory.CreateDirectory(Path.Combine(Bundle, "polls", "0001"));
        Directory.CreateDirectory(Path.Combine(Bundle, "polls", "0002"));
        Assert.Contains("0001", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle)).Message, StringComparison.Ordinal);
        Directory.Delete(Path.Combine(Bundle, "polls"), recursive: true);
        File.WriteAllText(json, "{\"version\":1,");
        Assert.Contains("invalid JSON", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle)).Message, StringComparison.Ordinal);

        var poll = Path.Combine(Bundle, "polls", "0001");
        Directory.CreateDirectory(poll);
        File.WriteAllText(json, "{\"version\":1,\"platform\":\"linux\",\"host\":\"h\",\"polls\":1}");
        File.WriteAllText(Path.Combine(poll, "poll.json"), "{\"takenAt\":\"2026-01-01T00:00:00Z\"}");
        File.WriteAllText(Path.Combine(poll, "files.json"), "[{\"path\":\"/a\",\"mtime\":\"yesterday\"}]");
        File.WriteAllText(Path.Combine(poll, "commands.json"), "[]");
        Assert.Contains("mtime of /a", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle).OpenPoll(1)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(poll, "files.json"), "[]");
        File.WriteAllText(Path.Combine(poll, "commands.json"), "[{\"argv\":[\"x\"],\"exitCode\":0,\"stdout\":\"\",\"stderr\":\"\"}]");
        Assert.Contains("durationMs", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle).OpenPoll(1)).Message, StringComparison.Ordinal);
        Assert.Contains("no poll 2", Assert.Throws<BundleException>(() => BundleReader.Open(Bundle).OpenPoll(2)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriterNeverMixesTwoCaptures()
    {
        Directory.CreateDirectory(Bundle);
        File.WriteAllText(Path.Combine(Bundle, "x"), "");
        Assert.Contains("not empty", Assert.Throws<BundleException>(() => BundleWriter.Create(Bundle, "linux", "h")).Message, StringComparison.Ordinal);
    }
}
