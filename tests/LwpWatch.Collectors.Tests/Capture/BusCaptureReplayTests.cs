using System.Text.Json;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Capture;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Collectors.Tests.Support;

namespace LwpWatch.Collectors.Tests.Capture;

/// <summary>
/// The bus seam in capture bundles (polls/NNNN/bus.json): what a live bus answered, recorded through the
/// recording source, is what a replay answers, call by call; what the bundle lacks or gets wrong is a named error.
/// Recorded from a real dbus-daemon peer, so the replies are real D-Bus replies.
/// </summary>
public sealed class BusCaptureReplayTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly string _tmp = Directory.CreateTempSubdirectory("lwpw-test-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private string Bundle => Path.Combine(_tmp, "bundle");

    [Fact]
    public async Task Replies_errors_and_timeouts_replay_as_recorded()
    {
        using var peer = await TestBusPeer.StartAsync(hang: false);
        using var silent = new TestBusPeer.Silent();
        using var client = new DBusClient();
        var recorder = new RecordingHostSource(new LiveHostSource(new CommandRunner(), client));
        BusCall[] calls =
        [
            new(peer.Address, TestBusPeer.Name, "/x", "org.example.Test", "Types", []),
            new(peer.Address, TestBusPeer.Name, "/x", "org.example.Test", "Fail", []),
            new(peer.Address, TestBusPeer.Name, "/x", "org.freedesktop.DBus.Properties", "GetAll", [""]),
            new(silent.Address, TestBusPeer.Name, "/x", "org.example.Test", "Types", []),
        ];
        var live = new List<BusReply>();
        foreach (var c in calls)
        {
            live.Add(await recorder.CallBusAsync(c, TimeSpan.FromMilliseconds(c.Address == silent.Address ? 200 : 5000), CancellationToken.None));
        }

        Assert.True(live[0].Succeeded);
        Assert.Equal("org.freedesktop.DBus.Error.AccessDenied", live[1].ErrorName);
        Assert.True(live[3].TimedOut);

        var writer = BundleWriter.Create(Bundle, "linux", "h");
        writer.WritePoll(T0, recorder.TakeRecording());
        var onDisk = JsonDocument.Parse(File.ReadAllText(Path.Combine(Bundle, "polls", "0001", "bus.json"))).RootElement;
        Assert.Equal(4, onDisk.GetArrayLength());
        Assert.Equal("ybnqiuxtdsogva{sv}a(sasbttttuii)ayas", onDisk[0].GetProperty("reply").GetProperty("type").GetString()); // a JSON value, not a string
        Assert.Equal("Types", onDisk[0].GetProperty("member").GetString());
        Assert.False(onDisk[1].TryGetProperty("reply", out _));
        Assert.True(onDisk[3].GetProperty("timedOut").GetBoolean());

        var replay = BundleReader.Open(Bundle).OpenPoll(1);
        for (var i = 0; i < calls.Length; i++)
        {
            var r = await replay.CallBusAsync(calls[i], TimeSpan.FromSeconds(1), CancellationToken.None);
            Assert.Equal(live[i].Describe(), r.Describe());
            Assert.Equal(live[i].ErrorName, r.ErrorName);
            Assert.Equal(live[i].Error, r.Error);
            Assert.Equal(live[i].Json is null, r.Json is null);
            if (r.Json is not null)
            {
                Assert.Null(JsonDiff.First(JsonDocument.Parse(live[i].Json!).RootElement, JsonDocument.Parse(r.Json).RootElement));
            }
        }

        // A call the bundle does not hold (another address: the key is the whole call) names itself.
        var ex = await Assert.ThrowsAsync<BundleException>(() => replay.CallBusAsync(calls[0] with { Address = "unix:path=/elsewhere" }, TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Contains("D-Bus call org.example.Test.Types /x on unix:path=/elsewhere", ex.Message, StringComparison.Ordinal);
        Assert.Contains("was not recorded", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", "must be an array of bus calls")]
    [InlineData("[{\"address\":\"a\"}]", "\"args\" must be an array of strings")]
    [InlineData("[{\"args\":[1]}]", "\"args\" must be an array of strings")]
    [InlineData("[{\"args\":[],\"durationMs\":-1}]", "\"durationMs\" must be a non-negative integer")]
    [InlineData("[{\"args\":[],\"durationMs\":1,\"reply\":\"text\"}]", "\"reply\" must be an object")]
    [InlineData("[{\"args\":[],\"durationMs\":1,\"address\":\"a\",\"destination\":\"d\",\"path\":\"/\",\"interface\":\"i\",\"member\":\"m\"}]", "needs a \"reply\", an \"error\" or \"timedOut\"")]
    [InlineData("[{\"args\":[],\"durationMs\":1,\"reply\":{},\"address\":\"a\",\"destination\":\"d\",\"path\":\"/\",\"interface\":\"i\"}]", "\"member\" must be a string")]
    public void A_malformed_bus_json_is_an_error_naming_the_file_and_call(string json, string problem)
    {
        var writer = BundleWriter.Create(Bundle, "linux", "h");
        writer.WritePoll(T0, new PollRecording());
        File.WriteAllText(Path.Combine(Bundle, "polls", "0001", "bus.json"), json);
        var ex = Assert.Throws<BundleException>(() => BundleReader.Open(Bundle).OpenPoll(1));
        Assert.Contains("bus.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task A_poll_without_bus_calls_has_no_bus_json_and_replays_fine()
    {
        var writer = BundleWriter.Create(Bundle, "linux", "h");
        writer.WritePoll(T0, new PollRecording());
        Assert.False(File.Exists(Path.Combine(Bundle, "polls", "0001", "bus.json")));
        var replay = BundleReader.Open(Bundle).OpenPoll(1);
        await Assert.ThrowsAsync<BundleException>(() => replay.CallBusAsync(new BusCall("unix:path=/x", "d", "/", "i", "m", []), TimeSpan.FromSeconds(1), CancellationToken.None));
    }

    [Fact]
    public async Task A_bundle_from_before_the_bus_seam_answers_from_its_busctl_run()
    {
        var writer = BundleWriter.Create(Bundle, "linux", "h");
        writer.WritePoll(T0, new PollRecording());
        var json = "{\"type\":\"a(ssssssouso)\",\"data\":[[]]}";
        File.WriteAllText(Path.Combine(Bundle, "polls", "0001", "commands.json"), $$"""
            [{"argv":["busctl","--address=unix:path=/run/dbus/system_bus_socket","--json=short","--no-pager","call","org.freedesktop.systemd1","/org/freedesktop/systemd1","org.freedesktop.systemd1.Manager","ListUnits"],
              "exitCode":0,"stdout":{{JsonSerializer.Serialize(json)}},"stderr":"","durationMs":9}]
            """);
        var replay = BundleReader.Open(Bundle).OpenPoll(1);
        var r = await replay.CallBusAsync(LwpWatch.Collectors.Linux.SystemdCollector.ListUnitsCall("unix:path=/run/dbus/system_bus_socket"), TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.True(r.Succeeded, r.Describe());
        Assert.Equal(json, r.Json);
    }
}
