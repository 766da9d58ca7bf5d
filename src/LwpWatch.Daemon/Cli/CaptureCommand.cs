using System.Globalization;
using LwpWatch.Collectors.Capture;
using LwpWatch.Core.Text;
using LwpWatch.Daemon.Pipeline;

namespace LwpWatch.Daemon.Cli;

/// <summary>
/// `lwpwatch capture --out DIR [--polls N] [--interval T]`: runs the normal pipeline on this machine through a
/// recording host source and writes what the collectors read as a bundle (DESIGN.md "Capture bundles").
/// </summary>
public static class CaptureCommand
{
    /// <summary>More would be a recording session, not a bug report; bounded so a typo cannot fill a disk.</summary>
    public const int MaxPolls = 1000;

    public static async Task<int> ExecuteAsync(CliArgs cli, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var outDir = cli.Flag("out");
        if (string.IsNullOrWhiteSpace(outDir))
        {
            await stderr.WriteLineAsync("lwpwatch capture: --out DIR is required").ConfigureAwait(false);
            return Program.UsageError;
        }

        var polls = 1;
        if (cli.Flag("polls") is { } p && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out polls) || polls < 1 || polls > MaxPolls))
        {
            await stderr.WriteLineAsync($"lwpwatch capture: --polls must be in [1, {MaxPolls}], got '{TerminalText.Escape(p)}'").ConfigureAwait(false);
            return Program.UsageError;
        }

        var config = Program.LoadConfig(cli);
        if (!config.IsValid)
        {
            await stderr.WriteLineAsync($"lwpwatch capture: invalid configuration ({config.Source ?? "defaults"}):").ConfigureAwait(false);
            foreach (var e in config.Errors)
            {
                await stderr.WriteLineAsync($"  {TerminalText.Escape(e)}").ConfigureAwait(false);
            }

            return 1;
        }

        var options = config.Options;
        var recorder = new RecordingHostSource(Program.LiveSource());
        var pipeline = new PollPipeline(options, recorder, TimeProvider.System);
        BundleWriter writer;
        try
        {
            writer = BundleWriter.Create(outDir, pipeline.Platform, Environment.MachineName);
        }
        catch (BundleException ex)
        {
            await stderr.WriteLineAsync($"lwpwatch capture: {TerminalText.Escape(ex.Message)}").ConfigureAwait(false);
            return 1;
        }

        using var timer = new PeriodicTimer(options.Poll.Interval);
        for (var i = 1; i <= polls; i++)
        {
            if (i > 1)
            {
                await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(options.Poll.CollectorTimeout * 8 + TimeSpan.FromSeconds(5));
            var result = await pipeline.RunOnceAsync(cts.Token).ConfigureAwait(false);
            var recording = recorder.TakeRecording();
            try
            {
                writer.WritePoll(result.Outcome.Snapshot.TakenAt, recording);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // e.g. a full disk (a path too long to store is left out by the writer instead): a clear error, and the
                // polls written so far stay a valid, shorter bundle (bundle.json is rewritten after each poll).
                await stderr.WriteLineAsync($"lwpwatch capture: poll {i.ToString(CultureInfo.InvariantCulture)} could not be written: {TerminalText.Escape(ex.Message)}").ConfigureAwait(false);
                return 1;
            }

            await stderr.WriteLineAsync(TerminalText.Escape(Describe(i, polls, result, recording))).ConfigureAwait(false);
            if (writer.LastUnstored > 0)
            {
                // A tenant's tree too deep (or names too long once escaped) for a path below the bundle: the rest of
                // the poll is stored; the replay will not see these paths (poll.json names them).
                await stderr.WriteLineAsync(TerminalText.Escape(string.Create(
                    CultureInfo.InvariantCulture,
                    $"lwpwatch capture: poll {i}: {writer.LastUnstored} host paths too long to store below the bundle (PATH_MAX/NAME_MAX) were left out, named in its poll.json (\"unstored\"); first: {writer.Unstored[0]}"))).ConfigureAwait(false);
            }
        }

        await stdout.WriteLineAsync($"wrote {TerminalText.Escape(writer.Root)} ({writer.Polls} poll{(writer.Polls == 1 ? "" : "s")}, platform {pipeline.Platform})").ConfigureAwait(false);
        return 0;
    }

    private static string Describe(int i, int n, PollResult result, PollRecording recording)
    {
        var snap = result.Outcome.Snapshot;
        var failed = snap.Collectors.Where(c => !c.Success).Select(c => $"{c.Name} ({c.Error})").ToList();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"poll {i}/{n}: {snap.Zones.Length} zones, {result.Outcome.Findings.Length} findings, {recording.Files.Count} files, {recording.Commands.Length} commands{(failed.Count > 0 ? "; failed: " + string.Join(", ", failed) : "")}");
    }
}
