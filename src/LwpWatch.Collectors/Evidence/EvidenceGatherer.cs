using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using LwpWatch.Collectors.Io;
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
/// Gathers what proves a finding beyond the snapshot: the service manager's own account (svcs -xv, or systemd's
/// unit properties and status), the service log tail, and full command lines of the top holders. Every command
/// goes through <see cref="IHostSource"/> (so captures record it), runs in parallel with the others and is
/// killed when the caller's budget ends: gathering never holds the poll longer than that.
/// </summary>
public sealed class EvidenceGatherer(IHostSource io, LwpWatchOptions options)
{
    private readonly EvidenceSettings _settings = options.Evidence;

    public async Task<ImmutableArray<EvidenceItem>> GatherAsync(Finding finding, Snapshot snapshot, TimeSpan budget, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(budget);
        var illumos = snapshot.Platform == "illumos";
        var service = finding.Service;
        var tasks = new List<Task<ImmutableArray<EvidenceItem>>>();
        if (illumos)
        {
            tasks.Add(SvcsAsync(finding.ZoneId, service is not null && service.StartsWith("svc:/", StringComparison.Ordinal) ? service : null, budget, cts.Token));
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

    private async Task<ImmutableArray<EvidenceItem>> SvcsAsync(string zone, string? fmri, TimeSpan budget, CancellationToken ct)
    {
        var items = ImmutableArray.CreateBuilder<EvidenceItem>();
        string[] argv = fmri is null ? ["svcs", "-xv", "-z", zone] : ["svcs", "-xv", "-z", zone, fmri];
        var svcs = await Run("svcs -xv", argv, budget, ct).ConfigureAwait(false);
        items.Add(svcs);
        // svcs -xv names the service log ("See: /zones/<uuid>/root/var/svc/log/....log"): its tail says what the start method is doing.
        foreach (var line in svcs.Text.Split('\n'))
        {
            var t = line.Trim();
            if (t.StartsWith("See: /", StringComparison.Ordinal) && t.EndsWith(".log", StringComparison.Ordinal) && _settings.LogLines > 0)
            {
                var log = t[5..];
                items.Add(await Run("service log tail", ["tail", "-n", _settings.LogLines.ToString(CultureInfo.InvariantCulture), log], budget, ct).ConfigureAwait(false) with { Path = log });
            }
        }

        return items.ToImmutable();
    }

    private async Task<ImmutableArray<EvidenceItem>> SystemdAsync(string unit, TimeSpan budget, CancellationToken ct)
    {
        var sd = options.Linux.Systemd;
        var runs = new List<Task<EvidenceItem>>
        {
            // Works against any manager the daemon watches (a container's too), unlike systemctl status.
            Run("systemd unit properties", ["busctl", $"--address={sd.BusAddress}", "--json=short", "--no-pager", "call", "org.freedesktop.systemd1", UnitObjectPath(unit), "org.freedesktop.DBus.Properties", "GetAll", "s", ""], budget, ct),
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
