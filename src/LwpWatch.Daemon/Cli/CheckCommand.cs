using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Text;
using LwpWatch.Daemon.Pipeline;

namespace LwpWatch.Daemon.Cli;

/// <summary>`lwpwatch check`: one poll, a verdict, a Nagios-style exit code.</summary>
public static class CheckCommand
{
    public static async Task<int> ExecuteAsync(CliArgs cli, TextWriter stdout, TextWriter stderr)
    {
        var format = cli.Flag("format") ?? "table";
        if (format is not ("table" or "json"))
        {
            await stderr.WriteLineAsync($"lwpwatch check: --format must be table or json, got '{TerminalText.Escape(format)}'").ConfigureAwait(false);
            return (int)CheckStatus.Unknown;
        }

        var config = Program.LoadConfig(cli);
        if (!config.IsValid)
        {
            await stderr.WriteLineAsync($"lwpwatch check: invalid configuration ({config.Source}):").ConfigureAwait(false);
            foreach (var e in config.Errors)
            {
                await stderr.WriteLineAsync($"  {TerminalText.Escape(e)}").ConfigureAwait(false);
            }

            return (int)CheckStatus.Unknown;
        }

        if (cli.Has("until") && !cli.Has("replay"))
        {
            await stderr.WriteLineAsync("lwpwatch check: --until needs --replay DIR").ConfigureAwait(false);
            return (int)CheckStatus.Unknown;
        }

        PollResult result;
        if (cli.Flag("replay") is { } bundle)
        {
            var replay = ReplayCli.Prepare(bundle, cli.Flag("until"), config.Options);
            if (replay.Error is not null)
            {
                await stderr.WriteLineAsync($"lwpwatch check: {TerminalText.Escape(replay.Error)}").ConfigureAwait(false);
                return (int)CheckStatus.Unknown;
            }

            if (await replay.RunAllAsync(CancellationToken.None).ConfigureAwait(false) is not { } replayed)
            {
                await stderr.WriteLineAsync($"lwpwatch check: {TerminalText.Escape(replay.Error!)}").ConfigureAwait(false);
                return (int)CheckStatus.Unknown;
            }

            result = replayed;
        }
        else
        {
            using var cts = new CancellationTokenSource(config.Options.Poll.CollectorTimeout * 4 + TimeSpan.FromSeconds(5));
            var pipeline = Program.LivePipeline(config.Options);
            result = await pipeline.RunOnceAsync(cts.Token).ConfigureAwait(false);
        }

        await Emit(result, format, cli.Has("all"), stdout).ConfigureAwait(false);
        return (int)result.Outcome.Status;
    }

    public static async Task Emit(PollResult result, string format, bool all, TextWriter stdout)
    {
        var text = format == "json" ? CheckJson.Write(result.Outcome) + "\n" : CheckTable.Write(result.Outcome, all);
        await stdout.WriteAsync(text).ConfigureAwait(false);
        await stdout.FlushAsync().ConfigureAwait(false);
    }
}
