using System.Globalization;
using LwpWatch.Collectors.Capture;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Pipeline;

namespace LwpWatch.Daemon.Cli;

/// <summary>
/// `--replay DIR [--until N]` for check and run: the whole pipeline (collectors, rules) over a capture bundle,
/// each recorded poll in order on its recorded clock, built exactly as on a node but reading the bundle.
/// </summary>
public sealed class ReplayCli
{
    private ReplayCli(string? error) => Error = error;

    /// <summary>Why the bundle cannot be replayed (one line): set by <see cref="Prepare"/>, or by <see cref="RunAllAsync"/> when a poll is malformed or a read was refused.</summary>
    public string? Error { get; private set; }

    public PollPipeline? Pipeline { get; private init; }

    public BundleReplay? Bundle { get; private init; }

    /// <summary>The last poll to run (all of them unless --until).</summary>
    public int Until { get; private init; }

    public static ReplayCli Prepare(string directory, string? until, LwpWatchOptions options)
    {
        BundleReader reader;
        try
        {
            reader = BundleReader.Open(directory);
        }
        catch (BundleException ex)
        {
            return new ReplayCli(ex.Message);
        }

        var last = reader.Polls.Length;
        if (until is not null)
        {
            if (!int.TryParse(until, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                return new ReplayCli($"--until must be a poll number >= 1, got '{until}'");
            }

            if (n > last)
            {
                return new ReplayCli($"--until {n}: the bundle {reader.Root} has only {last} polls");
            }

            last = n;
        }

        var replay = new BundleReplay(reader);
        // The platform and host come from the bundle, never from the machine running the replay.
        var pipeline = new PollPipeline(options, replay.Source, replay.Clock, reader.Platform, reader.Host) { AwaitEvidence = true };
        return new ReplayCli(null) { Pipeline = pipeline, Bundle = replay, Until = last };
    }

    /// <summary>
    /// Runs polls 1..Until; the result is the state after the last one. A poll whose files.json or commands.json is
    /// malformed, or any read the bundle refused (a path leaving it, a FIFO, a file past its bound: see
    /// BundleFiles), stops the replay: null, and <see cref="Error"/> says why in one line. What a poll merely did
    /// not record fails only the collector that asked, as on a node.
    /// </summary>
    public async Task<PollResult?> RunAllAsync(CancellationToken cancellationToken)
    {
        var pipeline = Pipeline ?? throw new InvalidOperationException(Error);
        var reader = Bundle!.Reader;
        PollResult? result = null;
        for (var i = 1; i <= Until; i++)
        {
            try
            {
                Bundle.MoveTo(i);
                result = await pipeline.RunOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BundleException ex)
            {
                Error = $"malformed bundle {reader.Root}: {ex.Message}";
                return null;
            }

            if (reader.Violation is { } v)
            {
                Error = $"malformed bundle {reader.Root}: {v.Message}";
                return null;
            }
        }

        return result;
    }
}
