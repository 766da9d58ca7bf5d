namespace LwpWatch.Daemon.Cli;

/// <summary>
/// The parsed command line: a verb (possibly two words, e.g. "config validate"), its flags and positionals.
/// Flags are `--name value` or `--name=value`; boolean flags take no value. Unknown flags are errors.
/// </summary>
public sealed record CliArgs(string Verb, IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Positionals)
{
    public string? Flag(string name) => Flags.TryGetValue(name, out var v) ? v : null;

    public bool Has(string name) => Flags.ContainsKey(name);

    /// <summary>Parses argv against the verb's declared flags; returns the error text on misuse.</summary>
    public static (CliArgs? Args, string? Error) Parse(string[] argv, IReadOnlyDictionary<string, VerbSpec> verbs)
    {
        if (argv.Length == 0)
        {
            return (null, "no command given");
        }

        var verb = argv[0];
        var start = 1;
        if (argv.Length > 1 && verbs.ContainsKey($"{argv[0]} {argv[1]}"))
        {
            verb = $"{argv[0]} {argv[1]}";
            start = 2;
        }

        if (!verbs.TryGetValue(verb, out var spec))
        {
            return (null, $"unknown command '{argv[0]}'");
        }

        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var positionals = new List<string>();
        for (var i = start; i < argv.Length; i++)
        {
            var a = argv[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a == "--")
            {
                positionals.Add(a);
                continue;
            }

            var eq = a.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? a[2..eq] : a[2..];
            if (!spec.Flags.TryGetValue(name, out var flagSpec))
            {
                return (null, $"{verb}: unknown flag --{name}");
            }

            if (flagSpec.TakesValue)
            {
                if (eq > 0)
                {
                    flags[name] = a[(eq + 1)..];
                }
                else if (i + 1 < argv.Length)
                {
                    flags[name] = argv[++i];
                }
                else
                {
                    return (null, $"{verb}: --{name} needs a value");
                }
            }
            else
            {
                if (eq > 0)
                {
                    return (null, $"{verb}: --{name} takes no value");
                }

                flags[name] = "true";
            }
        }

        if (positionals.Count > spec.MaxPositionals)
        {
            return (null, $"{verb}: unexpected argument '{positionals[spec.MaxPositionals]}'");
        }

        return (new CliArgs(verb, flags, positionals), null);
    }
}

/// <summary>A verb's declared flags (name -> spec) and how many positional arguments it takes.</summary>
public sealed record VerbSpec(string Summary, string Usage, IReadOnlyDictionary<string, FlagSpec> Flags, int MaxPositionals = 0);

/// <summary>One flag: whether it takes a value and what it means (for --help).</summary>
public sealed record FlagSpec(bool TakesValue, string Help);
