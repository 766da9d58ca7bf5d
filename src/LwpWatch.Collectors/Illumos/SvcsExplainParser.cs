using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One block of <c>svcs -xv</c>: why a service instance is not running, and what it blocks.</summary>
public sealed record SvcsExplanation
{
    public required string Fmri { get; init; }

    public string? Description { get; init; }

    public string? Zone { get; init; }

    /// <summary>The zone's alias line, where svcs prints one. Tenant-chosen: data only.</summary>
    public string? Alias { get; init; }

    public required string State { get; init; }

    /// <summary>The "since" time of the State line (svcs prints the node's local time; UTC on SmartOS).</summary>
    public DateTimeOffset? StateSince { get; init; }

    /// <summary>The first Reason (most blocks have exactly one).</summary>
    public string? Reason => Reasons.IsDefaultOrEmpty ? null : Reasons[0];

    /// <summary>Every Reason line, one per cause (an instance waiting on several dependencies gets one each).</summary>
    public ImmutableArray<string> Reasons { get; init; } = [];

    public ImmutableArray<string> See { get; init; } = [];

    /// <summary>
    /// With -v, one chain per cause from this instance to the service that causes it to be offline
    /// ("  Path: svc:/a" then indented next hops, explain.c print_dependency_reasons()); empty for an instance
    /// that is not waiting on a dependency.
    /// </summary>
    public ImmutableArray<ImmutableArray<string>> Paths { get; init; } = [];

    /// <summary>The services this one waits on, nearest first, from every Path (this instance itself left out).</summary>
    public ImmutableArray<string> Dependencies
    {
        get
        {
            var result = ImmutableArray.CreateBuilder<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var path in Paths)
            {
                foreach (var hop in path.Skip(1))
                {
                    if (seen.Add(hop))
                    {
                        result.Add(hop);
                    }
                }
            }

            return result.ToImmutable();
        }
    }

    public string? Impact { get; init; }

    /// <summary>The dependent services listed under Impact.</summary>
    public ImmutableArray<string> Impacted { get; init; } = [];
}

/// <summary>
/// Parses <c>svcs -xv [-z zone] [fmri]</c> as illumos-gate explain.c print_service() writes it: blank-line
/// separated blocks, each opening with "svc:/service:instance (description)" followed by right-aligned
/// "Key: value" lines (Zone, Alias, State, Reason, See, Path, Impact). Indented lines without a key continue
/// the previous key: the Impact list, a Reason wrapped at 80 columns, or a Path's next hops. A Path is a key of
/// its own, never a continuation of See. Empty output is valid: -x lists only services with a problem.
/// </summary>
public static class SvcsExplainParser
{
    private static readonly string[] Keys = ["Zone", "Alias", "State", "Reason", "See", "Path", "Impact"];

    private static readonly string[] TimeFormats = ["ddd MMM dd HH:mm:ss yyyy", "ddd MMM d HH:mm:ss yyyy"];

    public static ImmutableArray<SvcsExplanation> Parse(string text, string input)
    {
        var result = ImmutableArray.CreateBuilder<SvcsExplanation>();
        Block? block = null;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r', ' ', '\t');
            var where = IllumosText.Line(number);
            if (line.Length == 0)
            {
                if (block is not null)
                {
                    result.Add(block.Build(input));
                    block = null;
                }

                continue;
            }

            if (block is null)
            {
                block = Block.Open(line, input, where);
                continue;
            }

            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            var key = colon > 0 ? line[..colon].Trim() : null;
            if (key is not null && Array.IndexOf(Keys, key) >= 0 && colon < 8)
            {
                block.Set(key, line[(colon + 2)..].Trim(), input, where);
            }
            else if (char.IsWhiteSpace(line[0]) && block.LastKey is not null)
            {
                block.Continue(line.Trim(), input, where);
            }
            else
            {
                throw new ParseException(input, $"{where}: expected 'Key: value' ({string.Join(", ", Keys)}) or an indented continuation, got '{IllumosNames.Printable(line.Trim())}'");
            }
        }

        if (block is not null)
        {
            result.Add(block.Build(input));
        }

        return result.ToImmutable();
    }

    private sealed class Block
    {
        private readonly List<string> _see = [];
        private readonly List<StringBuilder> _reasons = [];
        private readonly List<List<string>> _paths = [];
        private readonly List<string> _impacted = [];
        private string _fmri = "";
        private string? _description;
        private string? _zone;
        private string? _alias;
        private string? _state;
        private DateTimeOffset? _since;
        // Builders, not string concatenation: continuation lines are appended one by one and a long (or hostile)
        // output made that quadratic (700 KB took seconds, found by fuzzing).
        private StringBuilder? _lastSee;
        private string? _impact;
        private string _where = "";

        public string? LastKey { get; private set; }

        public static Block Open(string line, string input, string where)
        {
            var trimmed = line.Trim();
            var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
            var fmri = space < 0 ? trimmed : trimmed[..space];
            if (!fmri.StartsWith("svc:/", StringComparison.Ordinal) && !fmri.StartsWith("lrc:/", StringComparison.Ordinal))
            {
                throw new ParseException(input, $"{where}: a block must start with a service FMRI, got '{IllumosNames.Printable(trimmed)}'");
            }

            string? description = null;
            if (space >= 0)
            {
                var rest = trimmed[(space + 1)..].Trim();
                if (rest.Length < 2 || rest[0] != '(' || rest[^1] != ')')
                {
                    throw new ParseException(input, $"{where}: expected '(description)' after the FMRI, got '{IllumosNames.Printable(rest)}'");
                }

                description = rest[1..^1];
            }

            return new Block { _fmri = fmri, _description = description, _where = where };
        }

        public void Set(string key, string value, string input, string where)
        {
            LastKey = key;
            switch (key)
            {
                case "Zone":
                    _zone = value;
                    break;
                case "Alias":
                    _alias = value;
                    break;
                case "State":
                    (_state, _since) = ParseState(value, input, where);
                    break;
                case "Reason":
                    _reasons.Add(new StringBuilder(value));
                    break;
                case "See":
                    FlushSee();
                    _lastSee = new StringBuilder(value);
                    break;
                case "Path":
                    _paths.Add([Fmri(value, input, where)]);
                    break;
                default:
                    _impact = value;
                    break;
            }
        }

        public void Continue(string text, string input, string where)
        {
            switch (LastKey)
            {
                case "Impact":
                    _impacted.Add(text);
                    break;
                case "Reason":
                    _reasons[^1].Append(' ').Append(text);
                    break;
                case "See":
                    _lastSee?.Append(' ').Append(text);
                    break;
                case "Path":
                    _paths[^1].Add(Fmri(text, input, where));
                    break;
                default:
                    break;
            }
        }

        public SvcsExplanation Build(string input)
        {
            FlushSee();
            return new SvcsExplanation
            {
                Fmri = _fmri,
                Description = _description,
                Zone = _zone,
                Alias = _alias,
                State = _state ?? throw new ParseException(input, $"{_where}: block for {_fmri} has no State line"),
                StateSince = _since,
                Reasons = [.. _reasons.Select(r => r.ToString())],
                See = [.. _see],
                Paths = [.. _paths.Select(p => p.ToImmutableArray())],
                Impact = _impact,
                Impacted = [.. _impacted],
            };
        }

        private static string Fmri(string text, string input, string where) =>
            text.StartsWith("svc:/", StringComparison.Ordinal) && !text.Contains(' ', StringComparison.Ordinal)
                ? text
                : throw new ParseException(input, $"{where}: a Path holds one service FMRI per line, got '{IllumosNames.Printable(text)}'");

        private void FlushSee()
        {
            if (_lastSee is not null)
            {
                _see.Add(_lastSee.ToString());
                _lastSee = null;
            }
        }

        private static (string State, DateTimeOffset? Since) ParseState(string value, string input, string where)
        {
            var at = value.IndexOf(" since ", StringComparison.Ordinal);
            if (at < 0)
            {
                return (value, null);
            }

            var when = string.Join(' ', value[(at + 7)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            if (!DateTime.TryParseExact(when, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
            {
                throw new ParseException(input, $"{where}: State time '{IllumosNames.Printable(when)}' is not like 'Mon Sep 08 09:04:52 2025'");
            }

            return (value[..at], new DateTimeOffset(t, TimeSpan.Zero));
        }
    }
}
