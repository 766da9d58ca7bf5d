namespace LwpWatch.Daemon.Cli;

/// <summary>
/// The parsed command line: a verb (possibly two words, e.g. "config validate"), its flags and positionals.
/// Flags are `--name value`, `--name=value` or `--name:value`; boolean flags take no value. Unknown flags are errors.
/// </summary>
public sealed record CliArgs(string Verb, IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Positionals)
{
    public string? Flag(string name) => Flags.TryGetValue(name, out var v) ? v : null;

    public bool Has(string name) => Flags.ContainsKey(name);

    /// <summary>Parses argv against the declared verbs (System.CommandLine, <see cref="CommandTree"/>); returns the error text on misuse.</summary>
    public static (CliArgs? Args, string? Error) Parse(string[] argv, IReadOnlyDictionary<string, VerbSpec> verbs) => CommandTree.Parse(argv, verbs);
}

/// <summary>A verb's declared flags (name -> spec) and how many positional arguments it takes (named for --help).</summary>
public sealed record VerbSpec(string Summary, string Usage, IReadOnlyDictionary<string, FlagSpec> Flags, int MaxPositionals = 0)
{
    public string PositionalName { get; init; } = "args";

    public string PositionalHelp { get; init; } = "";
}

/// <summary>One flag: whether it takes a value, what it means (for --help), the value's name and its fixed choices (for completion).</summary>
public sealed record FlagSpec(bool TakesValue, string Help, string? ValueName = null)
{
    public string[] Values { get; init; } = [];
}
