using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;

namespace LwpWatch.Collectors.Illumos;

/// <summary>One service instance from <c>svcs -Z -a -H -o zone,state,nstate,stime,fmri</c>.</summary>
/// <param name="State">An SMF state, or '-' while the instance has no recorded state yet.</param>
/// <param name="NextState">'-' when the instance is not in transition.</param>
/// <param name="Stime">STIME as printed (' 9:04:51', 'Sep_08', '2024' or '-').</param>
/// <param name="StateSince">STIME resolved against the poll time; null when svcs printed only a year or '-'.</param>
public sealed record SvcsEntry(string Zone, string State, string NextState, string Stime, DateTimeOffset? StateSince, string Fmri)
{
    public bool InTransition => !string.Equals(NextState, "-", StringComparison.Ordinal);
}

/// <summary>Every instance the listing printed, and a warning (naming the zone) for each line it could not read.</summary>
public sealed record SvcsListing(ImmutableArray<SvcsEntry> Entries, ImmutableArray<string> Warnings);

/// <summary>
/// Parses the fixed-column svcs listing by splitting on runs of whitespace (never by column position). svcs
/// prints times in the node's local time zone; SmartOS global zones run in UTC, so STIME is read as UTC.
/// illumos-gate svcs.c prints '-' for a STATE the instance has not recorded yet and for an unset NSTATE
/// (sprint_state, sprint_nstate: "Don't print blank fields, to ease parsing"). A line that cannot be read is a
/// warning naming its zone; only that instance is lost, never the rest of the listing.
/// </summary>
public static class SvcsParser
{
    public const string Command = "svcs -Z -a -H -o zone,state,nstate,stime,fmri";

    /// <summary>libscf's SCF_STATE_STRING_* values.</summary>
    private static readonly FrozenSet<string> States = FrozenSet.Create(
        StringComparer.Ordinal, "uninitialized", "offline", "online", "degraded", "maintenance", "disabled", "legacy_run");

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    public static SvcsListing Parse(string text, DateTimeOffset now, string input = Command)
    {
        var result = ImmutableArray.CreateBuilder<SvcsEntry>();
        var warnings = ImmutableArray.CreateBuilder<string>();
        var lines = 0;
        foreach (var (number, line) in IllumosText.Lines(text))
        {
            lines++;
            var where = IllumosText.Line(number);
            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            try
            {
                result.Add(ParseLine(f, now, input, where));
            }
            catch (ParseException ex)
            {
                var zone = f.Length > 0 ? "zone " + IllumosNames.Printable(f[0]) : "a zone";
                warnings.Add($"{ex.Message} ({zone}: that instance is left out this poll)");
            }
        }

        if (lines == 0)
        {
            throw new ParseException(input, "empty output (the global zone always has services)");
        }

        if (result.Count == 0)
        {
            throw new ParseException(input, $"no line could be read; first: {warnings[0]}");
        }

        return new SvcsListing(result.ToImmutable(), warnings.ToImmutable());
    }

    private static SvcsEntry ParseLine(string[] f, DateTimeOffset now, string input, string where)
    {
        if (f.Length != 5)
        {
            throw new ParseException(input, $"{where}: expected 5 fields (zone state nstate stime fmri), got {f.Length}");
        }

        if (f[1] != "-" && !States.Contains(f[1]))
        {
            throw new ParseException(input, $"{where}: unknown state '{IllumosNames.Printable(f[1])}'");
        }

        if (f[2] != "-" && !States.Contains(f[2]))
        {
            throw new ParseException(input, $"{where}: unknown next state '{IllumosNames.Printable(f[2])}'");
        }

        if (!f[4].StartsWith("svc:/", StringComparison.Ordinal) && !f[4].StartsWith("lrc:/", StringComparison.Ordinal))
        {
            throw new ParseException(input, $"{where}: '{IllumosNames.Printable(f[4])}' is not a service FMRI");
        }

        return new SvcsEntry(f[0], f[1], f[2], f[3], ResolveStime(f[3], now, input, where), f[4]);
    }

    /// <summary>
    /// svcs -Z skips a zone whose repository it cannot reach ("svcs: Could not bind to repository server for
    /// zone Z: ...") and still exits 0; every stderr line is such a warning worth surfacing.
    /// </summary>
    public static ImmutableArray<string> Warnings(string stderr)
    {
        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var (_, line) in IllumosText.Lines(stderr))
        {
            result.Add(line.Trim());
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// svcs prints the time of day (%k:%M:%S) for changes in the last 24 h, the day (%b_%d) within ~12
    /// months, else the year. A day is resolved to its end (capped at now) so that now - StateSince stays a
    /// lower bound of how long the state has held; a bare year is too coarse to use.
    /// </summary>
    public static DateTimeOffset? ResolveStime(string stime, DateTimeOffset now, string input, string where)
    {
        var utcNow = now.ToUniversalTime();
        if (stime == "-")
        {
            return null;
        }

        if (stime.Contains(':', StringComparison.Ordinal))
        {
            var parts = stime.Split(':');
            if (parts.Length != 3
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h > 23
                || parts[1].Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m > 59
                || parts[2].Length != 2 || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var s) || s > 59)
            {
                throw new ParseException(input, $"{where}: STIME '{stime}' is not H:MM:SS");
            }

            var today = new DateTimeOffset(utcNow.Year, utcNow.Month, utcNow.Day, h, m, s, TimeSpan.Zero);
            return today > utcNow ? today.AddDays(-1) : today;
        }

        var underscore = stime.IndexOf('_', StringComparison.Ordinal);
        if (underscore > 0)
        {
            var month = Array.IndexOf(Months, stime[..underscore]) + 1;
            if (month == 0 || !int.TryParse(stime[(underscore + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var day) || day is < 1 or > 31)
            {
                throw new ParseException(input, $"{where}: STIME '{stime}' is not Mon_DD");
            }

            var year = utcNow.Year;
            if (month > utcNow.Month || (month == utcNow.Month && day > utcNow.Day))
            {
                year--; // a date "in the future" was last year
            }

            if (day > DateTime.DaysInMonth(year, month))
            {
                throw new ParseException(input, $"{where}: STIME '{stime}' is not a date");
            }

            var end = new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero).AddDays(1).AddSeconds(-1);
            return end > utcNow ? utcNow : end;
        }

        if (stime.Length == 4 && int.TryParse(stime, NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y >= 1970 && y <= utcNow.Year)
        {
            return null;
        }

        throw new ParseException(input, $"{where}: STIME '{stime}' is neither a time, a Mon_DD date nor a year");
    }
}
