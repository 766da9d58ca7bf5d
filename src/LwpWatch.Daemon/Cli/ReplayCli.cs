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

    public string? Error { get; }

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
        var pipeline = new PollPipeline(options, replay.Source, replay.Clock, reader.Platform, reader.Host);
        return new ReplayCli(null) { Pipeline = pipeline, Bundle = replay, Until = last };
    }

    /// <summary>Runs polls 1..Until; the result is the state after the last one.</summary>
    public async Task<PollResult> RunAllAsync(CancellationToken cancellationToken)
    {
        var pipeline = Pipeline ?? throw new InvalidOperationException(Error);
        PollResult? result = null;
        for (var i = 1; i <= Until; i++)
        {
            Bundle!.MoveTo(i);
            result = await pipeline.RunOnceAsync(cancellationToken).ConfigureAwait(false);
        }

        return result!;
    }
}
