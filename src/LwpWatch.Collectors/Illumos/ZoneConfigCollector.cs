using System.Collections.Immutable;
using System.Globalization;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;

namespace LwpWatch.Collectors.Illumos;

/// <summary>
/// Configured LWP caps, VM aliases and provisioning state from each zone's /etc/zones/&lt;zonename&gt;.xml, read
/// as files: no vmadm (a node.js program that loads every VM on each call, and whose listing cannot even give
/// the provisioning deadline: transition_expire is not listable) and no prctl (it needs an agent LWP inside the
/// zone, which the cap refuses at exactly the cap). A file is parsed again only when its mtime or inode changed
/// (libzonecfg saves by mkstemp + rename), so a steady poll costs one stat per zone. The provisioning marker's
/// presence and age come from its mtime. Every per-zone problem (no file, a malformed file, a refused alias) is a
/// warning naming that zone; the other zones are unaffected.
/// </summary>
public sealed class ZoneConfigCollector(IHostSource io, IllumosSettings settings) : ICollector
{
    /// <summary>Relative to the zonepath: exists while the zone's first boot (zoneinit) has not finished.</summary>
    public const string ProvisioningMarker = "/root/var/svc/provisioning";

    private const int FirstRead = 16 * 1024;

    private readonly Dictionary<string, Cached> _cache = new(StringComparer.Ordinal);

    public string Name => "illumos-caps";

    /// <summary>/etc/zones/&lt;name&gt;.xml under the configured directory.</summary>
    public static string ConfigPath(IllumosSettings settings, string zoneName) => settings.ZoneConfigDir.TrimEnd('/') + "/" + zoneName + ".xml";

    public Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var zones = ImmutableArray.CreateBuilder<Zone>();
        var provisions = ImmutableArray.CreateBuilder<Provision>();
        var warnings = ImmutableArray.CreateBuilder<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in draft.ZoneOrder)
        {
            var z = draft.Zones[id];
            if (z.Kind != ZoneKind.IllumosZone || string.Equals(id, "global", StringComparison.Ordinal))
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            seen.Add(id);
            if (!IllumosNames.IsZoneName(id))
            {
                warnings.Add($"zone {IllumosNames.Printable(id)}: not a valid zone name; its configuration is not read");
                continue;
            }

            var config = Load(id, warnings);
            if (config is null)
            {
                continue;
            }

            foreach (var problem in config.Problems)
            {
                warnings.Add($"zone {id}: {ConfigPath(settings, id)}: {problem}");
            }

            if (!string.Equals(config.Name, id, StringComparison.Ordinal))
            {
                warnings.Add($"zone {id}: {ConfigPath(settings, id)} names zone '{IllumosNames.Printable(config.Name)}'");
            }

            var zonePath = z.ZonePath ?? config.ZonePath;
            zones.Add(new Zone
            {
                // On SmartOS the zonename is the VM uuid and the alias is what people call it.
                Id = id,
                Kind = ZoneKind.IllumosZone,
                Name = config.Alias ?? id,
                LwpLimit = config.MaxLwps,
                ZonePath = zonePath,
            });

            if (Provisioning(id, z, config, zonePath, warnings) is { } p)
            {
                provisions.Add(p);
            }
        }

        foreach (var gone in _cache.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _cache.Remove(gone);
        }

        return Task.FromResult(new Contribution { Zones = zones.ToImmutable(), Provisions = provisions.ToImmutable(), Warnings = warnings.ToImmutable() });
    }

    /// <summary>The parsed file, from the cache while its (mtime, inode) is unchanged; null (and a warning) when it cannot be had.</summary>
    private ZoneConfig? Load(string zone, ImmutableArray<string>.Builder warnings)
    {
        var path = ConfigPath(settings, zone);
        DateTimeOffset? mtime;
        try
        {
            mtime = io.GetModifiedTime(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            warnings.Add($"zone {zone}: {path}: {ex.Message}");
            return null;
        }

        if (mtime is not { } m)
        {
            _cache.Remove(zone);
            warnings.Add($"zone {zone}: {path} does not exist, so its configured caps are unknown");
            return null;
        }

        var inode = io.GetInode(path);
        if (_cache.TryGetValue(zone, out var hit) && hit.Mtime == m && hit.Inode == inode)
        {
            if (hit.Error is { } cachedError)
            {
                warnings.Add($"zone {zone}: {cachedError}");
            }

            return hit.Config;
        }

        ZoneConfig? config = null;
        string? error = null;
        try
        {
            // Zone files are a few KB: a small first read (the live source allocates the whole cap per read, and a
            // 1 MB buffer per zone made the first poll of 5,000 zones take 13 s), the full cap only when it is full.
            var bytes = io.ReadBytes(path, FirstRead);
            if (bytes is { Length: FirstRead })
            {
                bytes = io.ReadBytes(path, ZoneXmlParser.MaxBytes + 1);
            }

            if (bytes is null)
            {
                warnings.Add($"zone {zone}: {path} vanished while being read");
                return null; // not cached: the next poll looks again
            }

            config = ZoneXmlParser.Parse(bytes, path);
        }
        catch (ParseException ex)
        {
            error = ex.Message;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: {ex.Message}";
        }

        _cache[zone] = new Cached(m, inode, config, error);
        if (error is not null)
        {
            warnings.Add($"zone {zone}: {error}");
        }

        return config;
    }

    /// <summary>
    /// vmadm's state as vmload derives it: a valid transition's state, else the zone state (installed shows as
    /// stopped, and stopped with the provisioning attribute as provisioning), and "failed" over everything once
    /// vmadm marked it. Only a provisioning transition's deadline is the provisioning deadline.
    /// </summary>
    private Provision? Provisioning(string id, Zone zone, ZoneConfig config, string? zonePath, ImmutableArray<string>.Builder warnings)
    {
        DateTimeOffset? markerSince = null;
        if (zonePath is not null)
        {
            var marker = IllumosCommand.UnderZonesRoot(settings.ZonesRoot, zonePath + ProvisioningMarker);
            try
            {
                markerSince = io.GetModifiedTime(marker);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                warnings.Add($"zone {id}: {marker}: {ex.Message}");
            }
        }

        var state = config.Transition?.State ?? (zone.State == "installed" ? "stopped" : zone.State ?? "unknown");
        if (state == "stopped" && config.Provisioning)
        {
            state = "provisioning";
        }

        if (config.Failed is not null)
        {
            state = "failed";
        }

        var deadline = config.Transition is { State: "provisioning" } t ? t.Expire : (DateTimeOffset?)null;
        var failedProvision = string.Equals(config.Failed, "provisioning", StringComparison.Ordinal);
        if (markerSince is null && deadline is null && state != "provisioning" && !failedProvision)
        {
            return null;
        }

        return new Provision
        {
            ZoneId = id,
            VmState = state,
            MarkerPresent = markerSince is not null,
            MarkerSince = markerSince,
            Deadline = deadline,
        };
    }

    private sealed record Cached(DateTimeOffset Mtime, ulong? Inode, ZoneConfig? Config, string? Error);
}
