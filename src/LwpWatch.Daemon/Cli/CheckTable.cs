using System.Globalization;
using System.Text;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;
using LwpWatch.Core.Text;
using LwpWatch.Daemon.Metrics;

namespace LwpWatch.Daemon.Cli;

/// <summary>
/// `check` for humans: zones with a cap (fullest first), then one block per incident: the root cause with its fix
/// commands (once), the symptoms it explains folded under it. Every value that
/// can come from a tenant (names, summaries, hints, errors) goes through <see cref="TerminalText"/>.
/// </summary>
public static class CheckTable
{
    public static string Write(RuleOutcome outcome, bool all)
    {
        var s = outcome.Snapshot;
        var sb = new StringBuilder();
        var shown = s.Zones
            .Where(z => all || z.LwpLimit is not null || (z.Denials ?? 0) > 0)
            .OrderByDescending(z => z.Ratio ?? -1)
            .ThenBy(z => z.Id, StringComparer.Ordinal)
            .ToList();
        var rows = new List<string[]> { new[] { "ZONE", "KIND", "NAME", "LWPS", "LIMIT", "USE%", "DENIALS" } };
        foreach (var z in shown)
        {
            rows.Add(
            [
                TerminalText.Escape(z.Id),
                TerminalText.Escape(z.Kind),
                TerminalText.Escape(z.Name),
                Num(z.Lwps),
                z.LwpLimit is { } l ? l.ToString(CultureInfo.InvariantCulture) : "-",
                z.Ratio is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) : "-",
                Num(z.Denials),
            ]);
        }

        AppendTable(sb, rows);
        var hidden = s.Zones.Length - shown.Count;
        if (hidden > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"({hidden} unlimited zones without denials not shown; --all shows them)\n");
        }

        foreach (var c in s.Collectors.Where(c => !c.Success))
        {
            sb.AppendEscaped($"collector {c.Name} FAILED: {c.Error}\n");
        }

        foreach (var w in s.Warnings)
        {
            sb.Append("warning: ").AppendEscaped(w).Append('\n');
        }

        foreach (var e in outcome.RuleErrors)
        {
            sb.Append("error: ").AppendEscaped(e).Append('\n');
        }

        sb.Append('\n');
        if (outcome.Findings.IsEmpty)
        {
            sb.Append("No findings.\n");
        }

        // One block per incident: the root cause with its fix, once; what it explains folded under it.
        foreach (var incident in outcome.Incidents)
        {
            var f = incident.Head;
            sb.AppendEscaped($"{OutputNames.Severity(f.Severity).ToUpperInvariant(),-8} {f.Rule,-20} {f.Summary}\n");
            sb.AppendEscaped($"         since {Timestamps.Seconds(f.Since)}{(f.Service is null ? "" : $", service {f.Service}")}\n");
            foreach (var h in f.Hints)
            {
                sb.Append("         fix: ").AppendEscaped(h.Render()).Append('\n');
            }

            if (!incident.Symptoms.IsEmpty)
            {
                sb.Append(CultureInfo.InvariantCulture, $"         symptoms ({incident.Symptoms.Length}, explained by this {f.Rule}):\n");
                foreach (var sym in incident.Symptoms)
                {
                    sb.AppendEscaped($"           {OutputNames.Severity(sym.Severity).ToUpperInvariant(),-8} {sym.Rule,-20} {sym.Summary}\n");
                }
            }
        }

        sb.Append(CultureInfo.InvariantCulture, $"\nstatus: {OutputNames.Status(outcome.Status).ToUpperInvariant()}\n");
        return sb.ToString();
    }

    private static string Num(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static void AppendTable(StringBuilder sb, List<string[]> rows)
    {
        var widths = new int[rows[0].Length];
        foreach (var r in rows)
        {
            for (var i = 0; i < r.Length; i++)
            {
                widths[i] = Math.Max(widths[i], r[i].Length);
            }
        }

        foreach (var r in rows)
        {
            for (var i = 0; i < r.Length; i++)
            {
                // Numbers right-aligned, text left-aligned, as in `ps`.
                var numeric = i >= 3;
                sb.Append(numeric ? r[i].PadLeft(widths[i]) : r[i].PadRight(widths[i]));
                sb.Append(i + 1 < r.Length ? "  " : "\n");
            }
        }
    }
}
