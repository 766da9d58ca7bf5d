namespace LwpWatch.Daemon.Cli;

/// <summary>Every verb and flag the CLI accepts (a contract: scripts call these). Adding a verb = one entry here and one case in Program.</summary>
public static class Verbs
{
    private static readonly FlagSpec Config = new(true, "YAML config file (default /etc/lwpwatch/lwpwatch.yaml if present, else built-in defaults)");

    public static readonly IReadOnlyDictionary<string, VerbSpec> All = new Dictionary<string, VerbSpec>(StringComparer.Ordinal)
    {
        ["run"] = new(
            "run the daemon: poll, serve /metrics and the API, alert",
            "lwpwatch run [--config FILE] [--listen http://127.0.0.1:9781] [--interval 15s]",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal)
            {
                ["config"] = Config,
                ["listen"] = new(true, "HTTP listen URL (overrides http.listen)"),
                ["interval"] = new(true, "poll interval, e.g. 15s (overrides poll.interval)"),
            }),
        ["check"] = new(
            "poll once and report; exit 0 ok, 1 warning, 2 critical, 3 unknown",
            "lwpwatch check [--config FILE] [--format table|json] [--all]",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal)
            {
                ["config"] = Config,
                ["format"] = new(true, "table (default) or json"),
                ["all"] = new(false, "table: also list unlimited zones without denials"),
            }),
        ["config validate"] = new(
            "check a config file; print every problem with its key; exit 1 if any",
            "lwpwatch config validate [--config FILE | FILE]",
            new Dictionary<string, FlagSpec>(StringComparer.Ordinal) { ["config"] = Config },
            MaxPositionals: 1),
    };
}
