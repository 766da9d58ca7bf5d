using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Capture;
using LwpWatch.Collectors.Illumos;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Linux;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;

namespace LwpWatch.Collectors.Evidence;

/// <summary>One piece of proof: a command's output or a file's content, as captured.</summary>
public sealed record EvidenceItem
{
    public required string Title { get; init; }

    public ImmutableArray<string> Argv { get; init; } = [];

    public string? Path { get; init; }

    public int? ExitCode { get; init; }

    public string Text { get; init; } = "";

    public string? Error { get; init; }

    public bool Truncated { get; init; }

    public bool TimedOut { get; init; }

    public long DurationMs { get; init; }
}

/// <summary>
/// Gathers what proves a finding beyond the snapshot: the service manager's own account (svcs -xv with its
/// dependency chains, or systemd's unit properties and status), the service log tail, and full command lines of
/// the top holders. Every command
/// goes through <see cref="IHostSource"/> (so captures record it), runs in parallel with the others and is
/// killed when the caller's budget ends: gathering never holds the poll longer than that.
/// </summary>
public sealed class EvidenceGatherer(IHostSource io, LwpWatchOptions options)
{
    private readonly EvidenceSettings _settings = options.Evidence;

    public Task<ImmutableArray<EvidenceItem>> GatherAsync(Finding finding, Snapshot snapshot, TimeSpan budget, CancellationToken cancellationToken) =>
        GatherAsync(finding, finding.Service, snapshot, budget, cancellationToken);

    /// <summary>Gathers for <paramref name="finding"/>, with <paramref name="service"/> as the service whose account and log to read (a zone finding names none itself).</summary>
    public async Task<ImmutableArray<EvidenceItem>> GatherAsync(Finding finding, string? service, Snapshot snapshot, TimeSpan budget, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(budget);
        var illumos = snapshot.Platform == "illumos";
        var tasks = new List<Task<ImmutableArray<EvidenceItem>>>();
        if (illumos)
        {
            tasks.Add(SvcsAsync(snapshot, finding.ZoneId, service is not null && service.StartsWith("svc:/", StringComparison.Ordinal) ? service : null, budget, cts.Token));
        }
        else if (service is not null && service.Contains('.', StringComparison.Ordinal))
        {
            tasks.Add(SystemdAsync(service, budget, cts.Token));
        }

        var items = ImmutableArray.CreateBuilder<EvidenceItem>();
        items.AddRange(Cmdlines(finding.ZoneId, snapshot, illumos));
        foreach (var t in tasks)
        {
            try
            {
                items.AddRange(await t.ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                items.Add(new EvidenceItem { Title = "budget", Error = string.Create(CultureInfo.InvariantCulture, $"evidence budget of {budget.TotalSeconds:0.###}s used up") });
            }
        }

        return items.ToImmutable();
    }

    /// <summary>Distinct service logs read per finding at most (svcs -xv without an FMRI can name one per cause).</summary>
    private const int MaxLogs = 3;

    private async Task<ImmutableArray<EvidenceItem>> SvcsAsync(Snapshot snapshot, string zone, string? fmri, TimeSpan budget, CancellationToken ct)
    {
        var items = ImmutableArray.CreateBuilder<EvidenceItem>();
        string[] argv = fmri is null ? ["svcs", "-xv", "-z", zone] : ["svcs", "-xv", "-z", zone, fmri];
        var svcs = await Run("svcs -xv", argv, budget, ct).ConfigureAwait(false);
        items.Add(svcs);
        ImmutableArray<SvcsExplanation> explained;
        try
        {
            explained = SvcsExplainParser.Parse(svcs.Text, string.Join(' ', argv));
        }
        catch (ParseException ex)
        {
            items.Add(new EvidenceItem { Title = "dependency chain", Error = ex.Message });
            return items.ToImmutable();
        }

        if (DependencyChains(snapshot, zone, explained) is { } chains)
        {
            items.Add(chains);
        }

        // svcs -xv names the service log ("See: /zones/<uuid>/root/var/svc/log/....log"): its tail says what the
        // start method is doing. The path comes from the zone's own SMF repository, so it is only a hint of which
        // file: it is read only when it is <zonepath>/root/var/svc/log/<name>.log, and then resolved beneath the
        // zone root without following any symlink, in process, with a byte cap. Never a tool run as root on a
        // path the tenant chose.
        if (_settings.LogLines > 0)
        {
            var logs = explained.SelectMany(x => x.See).Where(p => p.StartsWith('/') && p.EndsWith(".log", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).Take(MaxLogs);
            foreach (var log in logs)
            {
                items.Add(LogTail(snapshot, zone, log));
            }
        }

        return items.ToImmutable();
    }

    /// <summary>The service log a <c>svcs -xv</c> See line names, if it is the zone's own SMF log: read confined and capped.</summary>
    private EvidenceItem LogTail(Snapshot snapshot, string zoneId, string log)
    {
        const string Title = "service log tail";
        var zonePath = string.Equals(zoneId, "global", StringComparison.Ordinal) ? "" : snapshot.FindZone(zoneId)?.ZonePath?.TrimEnd('/');
        if (zonePath is null)
        {
            return new EvidenceItem { Title = Title, Path = log, Error = $"refused: the zonepath of {zoneId} is unknown, so {log} cannot be checked to be its service log" };
        }

        // svcs prepends zone_get_rootpath() ("<zonepath>/root", "/" for the global zone) to the logfile property.
        var root = zonePath + "/root";
        string? name = null;
        foreach (var prefix in string.IsNullOrEmpty(zonePath) ? new[] { "/var/svc/log/", "//var/svc/log/" } : [root + "/var/svc/log/"])
        {
            if (log.StartsWith(prefix, StringComparison.Ordinal))
            {
                name = log[prefix.Length..];
            }
        }

        if (string.IsNullOrEmpty(zonePath))
        {
            root = "/";
        }

        if (name is null || name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name is "." or ".." || name.Contains('\0', StringComparison.Ordinal))
        {
            return new EvidenceItem { Title = Title, Path = log, Error = $"refused: {log} is not a file in {(root == "/" ? "" : root)}/var/svc/log" };
        }

        try
        {
            var bytes = io.ReadTailBeneath(IllumosCommand.UnderZonesRoot(options.Illumos.ZonesRoot, root), "var/svc/log/" + name, _settings.MaxOutputBytes);
            if (bytes is null)
            {
                return new EvidenceItem { Title = Title, Path = log, Error = "the log does not exist" };
            }

            var text = Encoding.UTF8.GetString(bytes);
            var lines = text.Split('\n');
            var keep = text.EndsWith('\n') ? lines[..^1] : lines;
            var cut = keep.Length > _settings.LogLines;
            return new EvidenceItem
            {
                Title = Title,
                Path = log,
                Text = string.Join('\n', cut ? keep[^_settings.LogLines..] : keep) + (keep.Length > 0 ? "\n" : ""),
                Truncated = cut || bytes.Length >= _settings.MaxOutputBytes,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or BundleException)
        {
            return new EvidenceItem { Title = Title, Path = log, Error = ex.Message };
        }
    }

    /// <summary>
    /// The dependency verdict of <c>svcs -xv</c>: each "Path:" chain from a service to the one that keeps it offline,
    /// with every hop's state as this poll saw it in the same zone (an FMRI names a service in every zone), then the
    /// verdict: the chain's last hop is the cause (explain.c print_dependency_reasons() walks next_hop until it
    /// reaches the cause). explain.c prints a Path only for an instance offline with no next state, so a service in
    /// transition (the one service-stuck is about) never has one; this item is there when svcs names such a waiter.
    /// </summary>
    private static EvidenceItem? DependencyChains(Snapshot snapshot, string zone, ImmutableArray<SvcsExplanation> explained)
    {
        var lines = new List<string>();
        var causes = new List<string>();
        foreach (var x in explained)
        {
            foreach (var path in x.Paths)
            {
                var hops = path.Select(fmri => fmri + StateOf(snapshot, zone, fmri));
                lines.Add(string.Join(" needs ", hops));
                if (path.Length > 1)
                {
                    causes.Add($"verdict dependency: {path[0]} waits on {path[^1]}{StateOf(snapshot, zone, path[^1])}");
                }
            }
        }

        lines.AddRange(causes.Distinct(StringComparer.Ordinal));

        return lines.Count == 0 ? null : new EvidenceItem
        {
            Title = "dependency chain",
            Text = string.Join('\n', lines) + "\n",
        };
    }

    private static string StateOf(Snapshot snapshot, string zone, string fmri) =>
        snapshot.Services.FirstOrDefault(v => v.ZoneId == zone && v.Name == fmri) is { } s
            ? $" ({s.State}{(s.InTransition ? "->" + s.NextState : "")})"
            : "";

    private async Task<ImmutableArray<EvidenceItem>> SystemdAsync(string unit, TimeSpan budget, CancellationToken ct)
    {
        var sd = options.Linux.Systemd;
        var runs = new List<Task<EvidenceItem>>
        {
            // Works against any manager the daemon watches (a container's too), unlike systemctl status.
            Call("systemd unit properties", SystemdCollector.GetAllCall(sd.BusAddress, UnitObjectPath(unit)), budget, ct),
        };
        if (_settings.LogLines > 0)
        {
            var lines = _settings.LogLines.ToString(CultureInfo.InvariantCulture);
            runs.Add(sd.RootDir == "/"
                ? Run("service log tail", ["journalctl", "-u", unit, "-n", lines, "--no-pager", "-o", "short-iso"], budget, ct)
                : Run("service log tail", ["journalctl", $"--root={sd.RootDir}", "-u", unit, "-n", lines, "--no-pager", "-o", "short-iso"], budget, ct));
        }

        if (sd.RootDir == "/" && sd.BusAddress == new SystemdSettings().BusAddress)
        {
            runs.Add(Run("systemctl status", ["systemctl", "status", "--no-pager", "-n", "0", unit], budget, ct));
        }

        return [.. await Task.WhenAll(runs).ConfigureAwait(false)];
    }

    /// <summary>Full command lines of the zone's top holders (the snapshot keeps 80 characters, like pr_psargs).</summary>
    private IEnumerable<EvidenceItem> Cmdlines(string zoneId, Snapshot snapshot, bool illumos)
    {
        if (illumos)
        {
            yield break; // psinfo's pr_psargs is all illumos keeps without an agent LWP in the zone
        }

        var proc = options.Linux.ProcRoot.TrimEnd('/');
        foreach (var h in snapshot.TopHolders)
        {
            if (h.ZoneId != zoneId)
            {
                continue;
            }

            var path = string.Create(CultureInfo.InvariantCulture, $"{proc}/{h.Pid}/cmdline");
            var raw = io.ReadBytes(path, _settings.MaxOutputBytes);
            yield return new EvidenceItem
            {
                Title = string.Create(CultureInfo.InvariantCulture, $"command line of pid {h.Pid}"),
                Path = path,
                Text = raw is null ? "" : Encoding.UTF8.GetString(raw).TrimEnd('\0').Replace('\0', ' '),
                Error = raw is null ? "process exited" : null,
            };
        }
    }

    private async Task<EvidenceItem> Run(string title, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct)
    {
        CommandResult r;
        try
        {
            r = await io.RunAsync(argv, timeout, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or KeyNotFoundException)
        {
            // Replay without this command, or an I/O failure: the bundle says what is missing instead of failing.
            return new EvidenceItem { Title = title, Argv = [.. argv], Error = ex.Message };
        }

        var text = r.Stdout;
        var cut = r.Truncated;
        if (Encoding.UTF8.GetByteCount(text) > _settings.MaxOutputBytes)
        {
            text = text[..Math.Min(text.Length, _settings.MaxOutputBytes)];
            cut = true;
        }

        return new EvidenceItem
        {
            Title = title,
            Argv = [.. argv],
            ExitCode = r.ExitCode,
            Text = text,
            Error = r.Succeeded ? null : r.Describe(),
            Truncated = cut,
            TimedOut = r.TimedOut,
            DurationMs = (long)r.Duration.TotalMilliseconds,
        };
    }

    /// <summary>A bus call as an item: the reply in busctl's JSON shape, or why there is none.</summary>
    private async Task<EvidenceItem> Call(string title, BusCall call, TimeSpan timeout, CancellationToken ct)
    {
        BusReply r;
        try
        {
            r = await io.CallBusAsync(call, timeout, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or KeyNotFoundException)
        {
            return new EvidenceItem { Title = title, Argv = BusArgv(call), Error = ex.Message };
        }

        var text = r.Json ?? "";
        var cut = false;
        if (Encoding.UTF8.GetByteCount(text) > _settings.MaxOutputBytes)
        {
            text = text[..Math.Min(text.Length, _settings.MaxOutputBytes)];
            cut = true;
        }

        return new EvidenceItem
        {
            Title = title,
            Argv = BusArgv(call),
            Text = text,
            Error = r.Succeeded ? null : r.Describe(),
            Truncated = cut,
            TimedOut = r.TimedOut,
            DurationMs = (long)r.Duration.TotalMilliseconds,
        };
    }

    /// <summary>The busctl command that makes the same call by hand (what an operator would paste to look again).</summary>
    private static ImmutableArray<string> BusArgv(BusCall c) =>
        ["busctl", $"--address={c.Address}", "--json=short", "call", c.Destination, c.Path, c.Interface, c.Member, .. c.Args.Length == 0 ? Array.Empty<string>() : [c.Signature, .. c.Args]];

    /// <summary>systemd's D-Bus object path of a unit: every byte but [A-Za-z0-9] becomes _xx (sd-bus label escaping).</summary>
    public static string UnitObjectPath(string unit)
    {
        var sb = new StringBuilder("/org/freedesktop/systemd1/unit/");
        foreach (var b in Encoding.UTF8.GetBytes(unit))
        {
            if (char.IsAsciiLetterOrDigit((char)b))
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('_').Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
