using System.Globalization;
using System.Text;
using System.CommandLine;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Options;
using LwpWatch.Core.Text;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Configuration;
using LwpWatch.Daemon.Hosting;
using LwpWatch.Daemon.Logging;
using LwpWatch.Daemon.Pipeline;

namespace LwpWatch.Daemon;

public static class Program
{
    /// <summary>EX_USAGE from sysexits.h: the command line itself was wrong.</summary>
    public const int UsageError = 64;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "run")
        {
            _ = HangupSignal.Unignore(); // before anything starts .NET's signal handling (see HangupSignal)
        }

        if (args.Length > 0 && args[0] is "--version" or "version")
        {
            Console.Out.WriteLine($"lwpwatch {Metrics.MetricsRenderer.Version}");
            return 0;
        }

        if (args.Length > 0 && args[0] == "help")
        {
            args = ["--help", .. args[1..]];
        }

        var root = CommandTree.Build(Verbs.All, Dispatch);
        var parsed = root.Parse(args);

        // The library prints usage errors with typo suggestions and the verb's help; they exit 64 (EX_USAGE),
        // not its default 1, which `check` uses for "warning". Its signal handling is off: `run` owns SIGTERM.
        var config = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
            Error = new EscapingWriter(Console.Error),
        };
        try
        {
            var code = await parsed.InvokeAsync(config).ConfigureAwait(false);
            return parsed.Errors.Count > 0 ? UsageError : code;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

    private static async Task<int> Dispatch(CliArgs cli, CancellationToken cancellationToken) => cli.Verb switch
    {
        "run" => await RunCommand.ExecuteAsync(cli).ConfigureAwait(false),
        "check" => await CheckCommand.ExecuteAsync(cli, Console.Out, Console.Error).ConfigureAwait(false),
        "explain" => await ExplainCommand.ExecuteAsync(cli, Console.Out, Console.Error).ConfigureAwait(false),
        "config validate" => ConfigValidate(cli, Console.Out, Console.Error),
        "capture" => await CaptureCommand.ExecuteAsync(cli, Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false),
        "completion" => await Completion(cli, Console.Out, Console.Error).ConfigureAwait(false),
        _ => UsageError,
    };

    private static async Task<int> Completion(CliArgs cli, TextWriter stdout, TextWriter stderr)
    {
        if (cli.Positionals is not ["bash"])
        {
            await stderr.WriteLineAsync("lwpwatch completion: name the shell: bash").ConfigureAwait(false);
            return UsageError;
        }

        await stdout.WriteAsync(CommandTree.BashCompletion("lwpwatch")).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The verbs' usage lines (README's CLI table holds the same; a test keeps them equal).</summary>
    public static string Help()
    {
        var sb = new StringBuilder("LwpWatch: tells on-call when a zone or container is starving for threads.\n\nUsage:\n");
        foreach (var (_, spec) in Verbs.All)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {spec.Usage}\n      {spec.Summary}\n");
        }

        sb.Append("\n  lwpwatch --version\n");
        return sb.ToString();
    }

    /// <summary>Loads the config named by --config (or the default), applies flag overrides, validates everything at once.</summary>
    public static ConfigResult LoadConfig(CliArgs cli)
    {
        var path = cli.Flag("config") ?? (cli.Positionals.Count > 0 && cli.Verb == "config validate" ? cli.Positionals[0] : null);
        var result = ConfigLoader.LoadFile(path);
        var errors = result.Errors.ToList();
        var o = result.Options;
        if (cli.Flag("interval") is { } iv)
        {
            if (Duration.TryParse(iv, out var t))
            {
                o = o with { Poll = o.Poll with { Interval = t } };
            }
            else
            {
                errors.Add($"--interval: expected a duration like 15s, got '{iv}'");
            }
        }

        if (cli.Flag("listen") is { } listen)
        {
            o = o with { Http = o.Http with { Listen = listen } };
        }

        if (cli.Has("interval") || cli.Has("listen"))
        {
            // Errors from the file end with their position; the same problem found again here has none.
            errors.AddRange(o.Validate().Where(e => !errors.Any(x => x.StartsWith(e, StringComparison.Ordinal))));
        }

        return new ConfigResult(o, errors, result.Source);
    }

    public static int ConfigValidate(CliArgs cli, TextWriter stdout, TextWriter stderr)
    {
        var result = LoadConfig(cli);
        var source = result.Source ?? "(built-in defaults)";
        if (result.IsValid)
        {
            stdout.WriteLine($"{TerminalText.Escape(source)}: OK");
            return 0;
        }

        stderr.WriteLine($"{TerminalText.Escape(source)}: {result.Errors.Count} problem{(result.Errors.Count == 1 ? "" : "s")}:");
        foreach (var e in result.Errors)
        {
            stderr.WriteLine($"  {TerminalText.Escape(e)}");
        }

        return 1;
    }

    /// <summary>The live machine as collectors see it.</summary>
    public static IHostSource LiveSource() => new LiveHostSource(new CommandRunner());

    internal static PollPipeline LivePipeline(LwpWatchOptions options) => new(options, LiveSource(), TimeProvider.System);

    internal static LoggingSetup Logging { get; } = new();
}
