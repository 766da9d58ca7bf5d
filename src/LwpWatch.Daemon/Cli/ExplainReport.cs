using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;
using LwpWatch.Core.Text;
using LwpWatch.Daemon.Metrics;

namespace LwpWatch.Daemon.Cli;

/// <summary>
/// `lwpwatch explain &lt;zone|unit|fmri&gt;`: the story of one zone as on-call wants it, from polls already made:
/// caps, usage over the polls, denials, top holders, services in transition and for how long, the verdict,
/// the fix commands. Pure: snapshots and findings in, text or JSON out.
/// </summary>
public sealed record ExplainReport(
    string Target,
    Zone Zone,
    ImmutableArray<(DateTimeOffset At, long? Lwps, long? Limit, long? Denials)> Usage,
    ImmutableArray<ThreadHolder> Holders,
    ImmutableArray<(ServiceState Service, TimeSpan For, Verdict Verdict)> Stuck,
    ImmutableArray<Finding> Findings,
    ImmutableArray<Hint> Fix)
{
    /// <summary>Zones the target names: a zone id, name/alias, unit or container id, or the zone of a unit/FMRI (and the ancestor whose cap binds it).</summary>
    public static ImmutableArray<ExplainReport> Build(string target, RuleOutcome last, RuleContext ctx, CapStarvationSettings diagnosis) =>
        Build(target, last, ctx, new Core.Options.RulesSettings { CapStarvation = diagnosis });

    /// <summary>As above with the configured rules, so a fix explain computes itself is sized as every rule sizes it.</summary>
    public static ImmutableArray<ExplainReport> Build(string target, RuleOutcome last, RuleContext ctx, Core.Options.RulesSettings rules)
    {
        var diagnosis = rules.CapStarvation;
        var sizing = CapSizing.From(rules);
        var s = last.Snapshot;
        var ids = new List<string>();
        void Add(string id)
        {
            if (!ids.Contains(id) && ids.Count < 8)
            {
                ids.Add(id);
            }
        }

        // Zone ids and names hold cgroup paths in CgroupName's lossless form (a backslash is \x5c), while an operator
        // pastes the path as systemd or the kernel prints it (system-foo\x2dbar.slice): match that spelling too.
        var escaped = CgroupName.Escape(System.Text.Encoding.UTF8.GetBytes(target));
        foreach (var z in s.Zones)
        {
            if (z.Id == target || z.Name == target || z.Unit == target || z.Id == escaped || z.Name == escaped || (z.Container is { } c && target.Length >= 12 && c.StartsWith(target, StringComparison.Ordinal)))
            {
                Add(z.Id);
            }
        }

        // An FMRI or unit name can exist in many zones (every zone has svc:/system/filesystem/local): the ones in
        // transition are what the operator is asking about; only when none is, show them all.
        var named = s.Services.Where(sv => sv.Name == target || (sv.Name.StartsWith(target + ":", StringComparison.Ordinal) && target.StartsWith("svc:/", StringComparison.Ordinal))).ToList();
        if (named.Any(sv => sv.InTransition))
        {
            named.RemoveAll(sv => !sv.InTransition);
        }

        foreach (var sv in named)
        {
            {
                if (SnapshotIndex.Zone(s, sv.ZoneId) is not null)
                {
                    Add(sv.ZoneId);
                }

                // The cap that binds may be an ancestor's: explain that zone too.
                var binding = Diagnosis.Diagnose(sv.ZoneId, sv, ctx, diagnosis);
                if (binding.StarvedZone is { } starved)
                {
                    Add(starved.Id);
                }
            }
        }

        var reports = ImmutableArray.CreateBuilder<ExplainReport>();
        foreach (var id in ids)
        {
            var zone = SnapshotIndex.Zone(s, id)!;
            var usage = ImmutableArray.CreateBuilder<(DateTimeOffset, long?, long?, long?)>();
            foreach (var sample in ctx.History.Of(id))
            {
                usage.Add((sample.At, sample.Lwps, sample.LwpLimit, sample.Denials));
            }

            var stuck = ImmutableArray.CreateBuilder<(ServiceState, TimeSpan, Verdict)>();
            // The engine's episodes (first sight, the manager's stamp as a lower bound): the same "for how long" the rules used.
            foreach (var (sv, since) in ctx.Stuck.Services)
            {
                if (InZone(sv.ZoneId, id))
                {
                    var verdict = Diagnosis.Diagnose(sv.ZoneId, sv, ctx, diagnosis);
                    // cap-starvation may already blame the cap by projection (a provision racing vmadm's deadline).
                    if (!verdict.IsCap && last.Findings.FirstOrDefault(f => f.Rule == RuleIds.CapStarvation && f.ZoneId == sv.ZoneId) is { Verdict: { } blamed })
                    {
                        verdict = blamed with { StarvedZone = zone };
                    }

                    stuck.Add((sv, s.TakenAt - since, verdict));
                }
            }

            var findings = last.Findings.Where(f => f.ZoneId == id || (f.Service is { } fs && stuck.Any(x => x.Item1.Name == fs))).ToImmutableArray();
            // The fix is the incidents' root causes' (once); a stuck service blamed on the cap gets the same N (the one
            // sizing: demand since the zone started, not just what rose between explain's own polls) even before
            // cap-starvation's stuckFor has passed; otherwise the findings' own.
            var incidents = Incident.Group(findings);
            var fix = new List<Hint>(incidents.Where(i => RuleFactory.RoleOf(i.Head.Rule).IsRootCause).SelectMany(i => i.Head.Hints));
            foreach (var (_, _, v) in fix.Count > 0 ? [] : stuck.ToList())
            {
                if (v is { IsCap: true, StarvedZone: { } sz })
                {
                    fix.AddRange(Remediation.RaiseCapCommands(RuleIds.CapStarvation, sz, sizing.Suggest(sz, s), s));
                }
            }

            if (fix.Count == 0)
            {
                fix.AddRange(incidents.SelectMany(i => i.Head.Hints));
            }

            reports.Add(new ExplainReport(target, zone, usage.ToImmutable(), [.. s.TopHolders.Where(h => h.ZoneId == id)], stuck.ToImmutable(), findings, [.. fix.DistinctBy(h => h.Render(), StringComparer.Ordinal)]));
        }

        return reports.ToImmutable();
    }

    public Severity? Worst => Findings.IsEmpty ? null : Findings.Max(f => f.Severity);

    /// <summary>The report for a terminal: every hole goes through <see cref="TerminalText"/> (a holder's argv with a newline must not forge a line).</summary>
    public string Text()
    {
        var z = Zone;
        var sb = new StringBuilder();
        sb.AppendEscaped($"Zone {z.Id} ({z.Kind}){(z.Name != z.Id ? " " + z.Name : "")}\n");
        if (z.CgroupPath is { } cg)
        {
            sb.AppendEscaped($"  cgroup:  {cg}\n");
        }

        if (z.ZonePath is { } zp)
        {
            sb.AppendEscaped($"  zonepath: {zp}{(z.State is { } st ? $"  state: {st}" : "")}\n");
        }

        var cap = z.LwpLimit?.ToString(CultureInfo.InvariantCulture) ?? "unlimited";
        var pct = z.Ratio is { } r ? string.Create(CultureInfo.InvariantCulture, $" ({r * 100:0.#}%)") : "";
        sb.AppendEscaped($"  cap:     {cap}   usage: {N(z.Lwps)}{pct}   peak: {N(z.Peak)}   processes: {N(z.Processes)}{(z.ProcessLimit is { } pl ? "/" + pl.ToString(CultureInfo.InvariantCulture) : "")}\n");
        var rise = Usage.Length > 1 && Usage[0].Denials is { } d0 && Usage[^1].Denials is { } d1 && d1 >= d0 ? string.Create(CultureInfo.InvariantCulture, $", +{d1 - d0} over these {Usage.Length} polls") : "";
        sb.AppendEscaped($"  denials: {N(z.Denials)} since the zone/cgroup started{rise}\n");
        if (z.Pressure is { } p)
        {
            sb.AppendEscaped($"  pressure: cpu some avg10 {(p.CpuPressureAvg10 is { } c ? c.ToString("0.##", CultureInfo.InvariantCulture) + "%" : "?")}, memory failures {N(p.MemoryFailures)}\n");
        }

        sb.Append("\nUsage over the last polls:\n");
        foreach (var (at, lwps, limit, den) in Usage)
        {
            sb.AppendEscaped($"  {Timestamps.Seconds(at)}  {N(lwps),6} / {limit?.ToString(CultureInfo.InvariantCulture) ?? "-",-8} denials {N(den)}\n");
        }

        sb.Append("\nTop thread holders:\n");
        if (Holders.IsEmpty)
        {
            sb.Append("  (not collected: the zone is not near its cap)\n");
        }

        foreach (var h in Holders)
        {
            sb.AppendEscaped($"  pid {h.Pid,-8} {h.Lwps,6} LWPs  {h.Command}: {h.Args}\n");
        }

        sb.Append("\nServices in transition:\n");
        if (Stuck.IsEmpty)
        {
            sb.Append("  none\n");
        }

        foreach (var (sv, dur, v) in Stuck)
        {
            sb.AppendEscaped($"  {sv.Name}  {sv.State}{(sv.NextState is { } nx && nx != "-" ? "->" + nx : "")}  for {Diagnosis.Fmt(dur)}{(sv.Tasks is { } t ? $"  tasks {t}/{sv.TasksLimit?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"}" : "")}\n");
            sb.AppendEscaped($"    verdict: {v.Cause.WireName()}: {v.Detail}\n");
        }

        // One block per incident: the root cause, the symptoms it explains folded under it; the fix follows, once.
        sb.Append("\nFindings:\n");
        if (Findings.IsEmpty)
        {
            sb.Append("  none\n");
        }

        foreach (var incident in Incident.Group(Findings))
        {
            var f = incident.Head;
            sb.AppendEscaped($"  {OutputNames.Severity(f.Severity).ToUpperInvariant()} {f.Rule}: {f.Summary}\n");
            foreach (var sym in incident.Symptoms)
            {
                sb.AppendEscaped($"    symptom: {OutputNames.Severity(sym.Severity).ToUpperInvariant()} {sym.Rule}: {sym.Summary}\n");
            }
        }

        if (Fix.Length > 0)
        {
            sb.Append("\nFix:\n");
            foreach (var h in Fix)
            {
                sb.Append("  ").AppendEscaped(h.Render()).Append('\n');
            }
        }

        var notes = Findings.SelectMany(f => f.Notes).Distinct(StringComparer.Ordinal).ToList();
        foreach (var n in notes)
        {
            sb.Append("  note: ").AppendEscaped(n).Append('\n');
        }

        return sb.ToString();
    }

    public void WriteJson(Utf8JsonWriter w)
    {
        var z = Zone;
        w.WriteStartObject();
        JsonOutput.ZoneIdentity(w, z);
        JsonOutput.Fields(w, ("lwps", z.Lwps), ("lwpLimit", z.LwpLimit), ("peak", z.Peak), ("denials", z.Denials));
        w.WriteStartArray("usage");
        foreach (var (at, lwps, limit, den) in Usage)
        {
            w.WriteStartObject();
            w.WriteString("takenAt", Timestamps.Seconds(at));
            JsonOutput.LwpCounts(w, lwps, limit, den);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("topHolders");
        foreach (var h in Holders)
        {
            Diagnosis.Holder(h).WriteJson(w);
        }

        w.WriteEndArray();
        w.WriteStartArray("servicesInTransition");
        foreach (var (sv, dur, v) in Stuck)
        {
            EvidenceMap.Of(("service", sv.Name), ("state", sv.State), ("nextState", sv.NextState), ("seconds", (long)dur.TotalSeconds), ("verdict", v.Cause.WireName()), ("why", v.Detail)).WriteJson(w);
        }

        w.WriteEndArray();
        w.WriteStartArray("findings");
        foreach (var incident in Incident.Group(Findings))
        {
            var f = incident.Head;
            w.WriteStartObject();
            EvidenceMap.Of(("rule", f.Rule), ("severity", OutputNames.Severity(f.Severity)), ("summary", f.Summary), ("hints", f.Hints.Render())).WriteProperties(w);
            w.WriteStartArray("symptoms");
            foreach (var sym in incident.Symptoms)
            {
                EvidenceMap.Of(("rule", sym.Rule), ("severity", OutputNames.Severity(sym.Severity)), ("summary", sym.Summary)).WriteJson(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        JsonOutput.Strings(w, "fix", Fix.Render());
        w.WriteEndObject();
    }

    private static bool InZone(string serviceZone, string zone) =>
        serviceZone == zone || (zone.StartsWith('/') && serviceZone.StartsWith(zone.TrimEnd('/') + "/", StringComparison.Ordinal));

    private static string N(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "?";
}
