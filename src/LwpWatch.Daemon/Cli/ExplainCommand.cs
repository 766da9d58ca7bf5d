using System.Text;
using System.Text.Json;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Text;

namespace LwpWatch.Daemon.Cli;

/// <summary>
/// `lwpwatch explain &lt;zone|unit|fmri&gt;`: a few polls (usage over time, denial deltas), then the full story of
/// the zone(s) the name resolves to. Exit 0 nothing wrong, 1 warning, 2 critical, 3 nothing by that name.
/// </summary>
public static class ExplainCommand
{
    public static async Task<int> ExecuteAsync(CliArgs cli, TextWriter stdout, TextWriter stderr)
    {
        if (cli.Positionals.Count != 1)
        {
            await stderr.WriteLineAsync("lwpwatch explain: name one zone, unit or FMRI").ConfigureAwait(false);
            return Program.UsageError;
        }

        var format = cli.Flag("format") ?? "text";
        var polls = 3;
        var interval = TimeSpan.FromSeconds(1);
        if (format is not ("text" or "json")
            || (cli.Flag("polls") is { } p && (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out polls) || polls is < 1 or > 100))
            || (cli.Flag("interval") is { } iv && (!Duration.TryParse(iv, out interval) || interval > TimeSpan.FromMinutes(5))))
        {
            await stderr.WriteLineAsync("lwpwatch explain: --format text|json, --polls 1..100, --interval up to 5m").ConfigureAwait(false);
            return Program.UsageError;
        }

        // --interval here spaces explain's own polls; it must not override poll.interval of the config.
        var config = Program.LoadConfig(cli with { Flags = cli.Flags.Where(f => f.Key == "config").ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal) });
        if (!config.IsValid)
        {
            await stderr.WriteLineAsync($"lwpwatch explain: invalid configuration ({config.Source}):\n  " + string.Join("\n  ", config.Errors.Select(TerminalText.Escape))).ConfigureAwait(false);
            return (int)CheckStatus.Unknown;
        }

        var options = config.Options;
        Pipeline.PollPipeline pipeline;
        Pipeline.PollResult? last = null;
        if (cli.Flag("replay") is { } bundle)
        {
            // A capture bundle: every recorded poll (up to --until) on the recorded clock, as `check --replay`.
            var replay = ReplayCli.Prepare(bundle, cli.Flag("until"), options);
            if (replay.Error is not null)
            {
                await stderr.WriteLineAsync($"lwpwatch explain: {TerminalText.Escape(replay.Error)}").ConfigureAwait(false);
                return (int)CheckStatus.Unknown;
            }

            pipeline = replay.Pipeline!;
            last = await replay.RunAllAsync(CancellationToken.None).ConfigureAwait(false);
            if (last is null)
            {
                await stderr.WriteLineAsync($"lwpwatch explain: {TerminalText.Escape(replay.Error!)}").ConfigureAwait(false);
                return (int)CheckStatus.Unknown;
            }
        }
        else
        {
            pipeline = Program.LivePipeline(options);
            using var cts = new CancellationTokenSource((options.Poll.CollectorTimeout * 4 * polls) + (interval * polls) + TimeSpan.FromSeconds(5));
            for (var i = 0; i < polls; i++)
            {
                if (i > 0)
                {
                    await Task.Delay(interval, cts.Token).ConfigureAwait(false);
                }

                last = await pipeline.RunOnceAsync(cts.Token).ConfigureAwait(false);
            }
        }

        var target = cli.Positionals[0];
        var reports = ExplainReport.Build(target, last!.Outcome, pipeline.Engine.LastContext!, options.Rules);
        if (reports.IsEmpty)
        {
            var s = last.Outcome.Snapshot;
            await stderr.WriteLineAsync($"lwpwatch explain: no zone, unit or FMRI named '{TerminalText.Escape(target)}' ({s.Zones.Length} zones, {s.Services.Length} services seen)").ConfigureAwait(false);
            return (int)CheckStatus.Unknown;
        }

        await stdout.WriteAsync(Render(reports, format)).ConfigureAwait(false);
        await stdout.FlushAsync().ConfigureAwait(false);
        var worst = reports.Select(r => r.Worst).Max();
        return worst switch
        {
            Severity.Critical => (int)CheckStatus.Critical,
            Severity.Warning => (int)CheckStatus.Warning,
            _ => (int)CheckStatus.Ok,
        };
    }

    public static string Render(IReadOnlyList<ExplainReport> reports, string format)
    {
        if (format == "json")
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteString("target", reports[0].Target);
                w.WriteStartArray("zones");
                foreach (var r in reports)
                {
                    r.WriteJson(w);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
        }

        return string.Join("\n" + new string('-', 72) + "\n", reports.Select(r => r.Text()));
    }
}
