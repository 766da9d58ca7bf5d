namespace LwpWatch.Daemon.Cli;

/// <summary>Every verb and flag the CLI accepts (a contract: scripts call these). Adding a verb = one entry here and one case in Program.</summary>
public static class Verbs
{
    private static readonly FlagSpec Config = new(true, "YAML config file (default /etc/lwpwatch/lwpwatch.yaml if present, else built-in defaults)", "FILE");

    private static readonly FlagSpec Replay = new(true, "run on a capture bundle instead of this machine, on the recorded clock", "DIR");

    private static readonly FlagSpec Until = new(true, "with --replay: stop after poll N", "N");

    public static readonly IReadOnlyDictionary<string, VerbSpec> All = new Dictionary<string, VerbSpec>(StringComparer.Ordinal)
    {
        ["run"] = new(
            "run the daemon: poll, serve /metrics and the API, alert",
            "lwpwatch run [--config FILE] [--listen http://127.0.0.1:9781] [--interval 15s] [--replay DIR [--until N]]",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal)
            {
                ["config"] = Config,
                ["listen"] = new(true, "HTTP listen URL (overrides http.listen)", "URL"),
                ["interval"] = new(true, "poll interval, e.g. 15s (overrides poll.interval)", "DURATION"),
                ["replay"] = Replay,
                ["until"] = Until,
            }),
        ["check"] = new(
            "poll once and report; exit 0 ok, 1 warning, 2 critical, 3 unknown",
            "lwpwatch check [--config FILE] [--format table|json] [--all] [--replay DIR [--until N]]",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal)
            {
                ["config"] = Config,
                ["format"] = new(true, "table (default) or json", "FORMAT") { Values = ["table", "json"] },
                ["all"] = new(false, "table: also list unlimited zones without denials"),
                ["replay"] = Replay,
                ["until"] = Until,
            }),
        ["capture"] = new(
            "record exactly what the collectors read into a bundle (for bug reports and replays)",
            "lwpwatch capture --out DIR [--polls N] [--interval 15s] [--config FILE]",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal)
            {
                ["config"] = Config,
                ["out"] = new(true, "new (or empty) directory to write the bundle to", "DIR"),
                ["polls"] = new(true, "number of polls to record (default 1)", "N"),
                ["interval"] = new(true, "time between polls, e.g. 30s (overrides poll.interval)", "DURATION"),
            }),
        ["explain"] = new(
            "the full story of one zone, unit or FMRI: caps, usage over a few polls, denials, holders, stuck services, verdict, fix",
            "lwpwatch explain <zone|unit|fmri> [--config FILE] [--polls 3] [--interval 1s] [--format text|json] [--replay DIR [--until N]]",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal)
            {
                ["config"] = Config,
                ["polls"] = new(true, "polls to make before explaining (usage over time, denial deltas); default 3", "N"),
                ["interval"] = new(true, "time between those polls; default 1s", "DURATION"),
                ["format"] = new(true, "text (default) or json", "FORMAT") { Values = ["text", "json"] },
                ["replay"] = Replay,
                ["until"] = Until,
            },
            MaxPositionals: 1) { PositionalName = "name", PositionalHelp = "zone id or name, systemd unit, or SMF FMRI" },
        ["config validate"] = new(
            "check a config file; print every problem with its key; exit 1 if any",
            "lwpwatch config validate [--config FILE | FILE]",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal) { ["config"] = Config },
            MaxPositionals: 1) { PositionalName = "file", PositionalHelp = "the config file (same as --config)" },
        ["completion"] = new(
            "print a shell completion script (bash); source it or save it under /etc/bash_completion.d/",
            "lwpwatch completion bash",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal),
            MaxPositionals: 1) { PositionalName = "shell", PositionalHelp = "bash" },
    };
}
