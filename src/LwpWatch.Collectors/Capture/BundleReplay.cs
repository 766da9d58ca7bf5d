using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Capture;

/// <summary>
/// Drives a pipeline through a bundle: <see cref="Source"/> answers as the current poll's
/// <see cref="ReplayHostSource"/> and <see cref="Clock"/> reads the current poll's takenAt. Collectors and rules
/// are built once over these, exactly as on a node; <see cref="MoveTo"/> steps to the next recorded poll.
/// </summary>
public sealed class BundleReplay
{
    private ReplayHostSource? _current;

    public BundleReplay(BundleReader reader)
    {
        Reader = reader;
        Source = new Switching(this);
        Clock = new RecordedClock(this);
    }

    public BundleReader Reader { get; }

    public IHostSource Source { get; }

    public TimeProvider Clock { get; }

    /// <summary>The poll being replayed (0 before the first <see cref="MoveTo"/>).</summary>
    public int Current { get; private set; }

    public void MoveTo(int pollNumber)
    {
        _current = Reader.OpenPoll(pollNumber);
        Current = pollNumber;
    }

    private ReplayHostSource Poll => _current ?? throw new BundleException($"{Reader.Root}: no poll selected yet");

    private sealed class RecordedClock(BundleReplay replay) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => replay.Poll.TakenAt;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }

    private sealed class Switching(BundleReplay replay) : IHostSource
    {
        public string? ReadText(string path) => replay.Poll.ReadText(path);

        public byte[]? ReadBytes(string path, int maxBytes) => replay.Poll.ReadBytes(path, maxBytes);

        public IReadOnlyList<string> ListDirectories(string path) => replay.Poll.ListDirectories(path);

        public IReadOnlyList<string> ListEntries(string path) => replay.Poll.ListEntries(path);

        public bool FileExists(string path) => replay.Poll.FileExists(path);

        public bool DirectoryExists(string path) => replay.Poll.DirectoryExists(path);

        public DateTimeOffset? GetModifiedTime(string path) => replay.Poll.GetModifiedTime(path);

        public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken) =>
            replay.Poll.RunAsync(argv, timeout, cancellationToken);

        public Task<Bus.BusReply> CallBusAsync(Bus.BusCall call, TimeSpan timeout, CancellationToken cancellationToken) =>
            replay.Poll.CallBusAsync(call, timeout, cancellationToken);
    }
}
