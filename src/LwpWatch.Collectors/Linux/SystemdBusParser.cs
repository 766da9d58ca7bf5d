using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace LwpWatch.Collectors.Linux;

/// <summary>One row of org.freedesktop.systemd1.Manager.ListUnits.</summary>
public sealed record SystemdUnit(string Name, string LoadState, string ActiveState, string SubState, string ObjectPath)
{
    /// <summary>systemd's own "in transition" states.</summary>
    public bool InTransition => ActiveState is "activating" or "deactivating" or "reloading";
}

/// <summary>The per-unit properties LwpWatch needs from Properties.GetAll (null = not set / not this unit type).</summary>
public sealed record SystemdUnitDetail
{
    public string? ActiveState { get; init; }

    public string? SubState { get; init; }

    /// <summary>CLOCK_MONOTONIC microseconds of the last state change; 0 (never) is returned as null.</summary>
    public ulong? StateChangeMonotonicUs { get; init; }

    /// <summary>
    /// CLOCK_MONOTONIC microseconds of the unit's last start (InactiveExitTimestampMonotonic); 0 (never) is null.
    /// systemd removes a unit's cgroup when the unit becomes inactive or failed (src/core/unit.c, unit_notify:
    /// unit_prune_cgroup) and creates it anew on the next start, so the cgroup's pids counters count from here.
    /// </summary>
    public ulong? StartMonotonicUs { get; init; }

    public string? ControlGroup { get; init; }

    public long? TasksCurrent { get; init; }

    /// <summary>null = infinity.</summary>
    public long? TasksMax { get; init; }

    public int? MainPid { get; init; }

    public ImmutableArray<string> Dependencies { get; init; } = [];
}

/// <summary>
/// Pure parsers of systemd's D-Bus replies in busctl's `--json=short` shape (systemd 252 format:
/// {"type":SIG,"data":[...]}; <see cref="Bus.BusJson"/> writes live replies in that shape, capture bundles store it)
/// and of /proc/uptime. uint64 "unset/infinity" is 2^64-1 on the bus.
/// </summary>
public static class SystemdBusParser
{
    public const ulong Infinity = ulong.MaxValue;

    /// <summary>ListUnits: {"type":"a(ssssssouso)","data":[[[name,desc,load,active,sub,following,path,jobid,jobtype,jobpath],...]]}.</summary>
    public static ImmutableArray<SystemdUnit> ParseListUnits(string json, string input)
    {
        using var doc = Parse(json, input);
        var root = doc.RootElement;
        ExpectType(root, "a(ssssssouso)", input);
        var data = Data(root, input);
        if (data.ValueKind != JsonValueKind.Array || data.GetArrayLength() != 1 || data[0].ValueKind != JsonValueKind.Array)
        {
            throw new ParseException(input, "data must be a one-element array holding the unit array");
        }

        var units = ImmutableArray.CreateBuilder<SystemdUnit>(data[0].GetArrayLength());
        var row = 0;
        foreach (var u in data[0].EnumerateArray())
        {
            row++;
            if (u.ValueKind != JsonValueKind.Array || u.GetArrayLength() < 7)
            {
                throw new ParseException(input, $"unit #{row}: expected a 10-field struct");
            }

            units.Add(new SystemdUnit(Str(u[0], input, row), Str(u[2], input, row), Str(u[3], input, row), Str(u[4], input, row), Str(u[6], input, row)));
        }

        return units.MoveToImmutable();
    }

    /// <summary>Properties.GetAll with interface "" (every interface): {"type":"a{sv}","data":[{"Name":{"type":T,"data":V},...}]}.</summary>
    public static SystemdUnitDetail ParseProperties(string json, string input)
    {
        using var doc = Parse(json, input);
        var root = doc.RootElement;
        ExpectType(root, "a{sv}", input);
        var data = Data(root, input);
        if (data.ValueKind != JsonValueKind.Array || data.GetArrayLength() != 1 || data[0].ValueKind != JsonValueKind.Object)
        {
            throw new ParseException(input, "data must be a one-element array holding the property dictionary");
        }

        var props = data[0];
        var stamp = U64(props, "StateChangeTimestampMonotonic", input);
        var started = U64(props, "InactiveExitTimestampMonotonic", input);
        var tasks = U64(props, "TasksCurrent", input);
        var max = U64(props, "TasksMax", input);
        var deps = ImmutableArray.CreateBuilder<string>();
        foreach (var key in (ReadOnlySpan<string>)["Requires", "BindsTo", "Requisite"])
        {
            if (props.TryGetProperty(key, out var v) && Value(v, "as", key, input) is { ValueKind: JsonValueKind.Array } arr)
            {
                foreach (var d in arr.EnumerateArray())
                {
                    deps.Add(d.ValueKind == JsonValueKind.String ? d.GetString()! : throw new ParseException(input, $"{key}: non-string element"));
                }
            }
        }

        var cgroup = S(props, "ControlGroup", input);
        var mainPid = U64(props, "MainPID", input);
        return new SystemdUnitDetail
        {
            ActiveState = S(props, "ActiveState", input),
            SubState = S(props, "SubState", input),
            StateChangeMonotonicUs = stamp is null or 0 ? null : stamp,
            StartMonotonicUs = started is null or 0 ? null : started,
            ControlGroup = string.IsNullOrEmpty(cgroup) ? null : cgroup,
            TasksCurrent = tasks is null or Infinity ? null : (long)Math.Min(tasks.Value, long.MaxValue),
            TasksMax = max is null or Infinity ? null : (long)Math.Min(max.Value, long.MaxValue),
            MainPid = mainPid is null or 0 ? null : mainPid.Value <= int.MaxValue ? (int)mainPid.Value : throw new ParseException(input, $"MainPID {mainPid} is not a pid"),
            Dependencies = deps.ToImmutable(),
        };
    }

    /// <summary>/proc/uptime: "745.27 1010.65" -> 745.27 s (first field).</summary>
    public static double ParseUptimeSeconds(string text, string input)
    {
        var t = text.AsSpan().Trim();
        var sp = t.IndexOf(' ');
        var first = sp < 0 ? t : t[..sp];
        if (!double.TryParse(first, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s))
        {
            throw new ParseException(input, $"expected seconds since boot, got '{(first.Length > 40 ? first[..40].ToString() : first.ToString())}'");
        }

        return s;
    }

    /// <summary>
    /// Wall-clock time of a CLOCK_MONOTONIC stamp: now minus how long ago it was. /proc/uptime is CLOCK_BOOTTIME,
    /// which equals CLOCK_MONOTONIC unless the machine was suspended; servers are not, and a stamp from before a
    /// suspend would only look older (safe for a "stuck since" lower bound). Future stamps clamp to now.
    /// </summary>
    public static DateTimeOffset WallTimeOf(ulong monotonicUs, double uptimeSeconds, DateTimeOffset now)
    {
        var ageUs = (uptimeSeconds * 1_000_000.0) - monotonicUs;
        return ageUs <= 0 ? now : now - TimeSpan.FromMicroseconds(ageUs);
    }

    private static JsonDocument Parse(string json, string input)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new ParseException(input, "empty reply, expected busctl --json=short JSON");
        }

        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new ParseException(input, $"not JSON: {ex.Message}");
        }
    }

    private static void ExpectType(JsonElement root, string signature, string input)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
        {
            throw new ParseException(input, "expected an object with a \"type\" signature");
        }

        if (!string.Equals(t.GetString(), signature, StringComparison.Ordinal))
        {
            throw new ParseException(input, $"expected D-Bus signature {signature}, got {t.GetString()}");
        }
    }

    private static JsonElement Data(JsonElement root, string input) =>
        root.TryGetProperty("data", out var d) ? d : throw new ParseException(input, "no \"data\" member");

    private static string Str(JsonElement e, string input, int row) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new ParseException(input, $"unit #{row}: expected a string, got {e.ValueKind}");

    /// <summary>A variant {"type":T,"data":V}; null when absent, ParseException when of another type.</summary>
    private static JsonElement? Value(JsonElement variant, string type, string name, string input)
    {
        if (variant.ValueKind != JsonValueKind.Object || !variant.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String || !variant.TryGetProperty("data", out var d))
        {
            throw new ParseException(input, $"{name}: expected a variant {{type,data}}");
        }

        if (!string.Equals(t.GetString(), type, StringComparison.Ordinal))
        {
            throw new ParseException(input, $"{name}: expected type {type}, got {t.GetString()}");
        }

        return d;
    }

    private static string? S(JsonElement props, string name, string input) =>
        props.TryGetProperty(name, out var v) && Value(v, "s", name, input) is { } d
            ? d.ValueKind == JsonValueKind.String ? d.GetString() : throw new ParseException(input, $"{name}: not a string")
            : null;

    private static ulong? U64(JsonElement props, string name, string input)
    {
        if (!props.TryGetProperty(name, out var v))
        {
            return null;
        }

        // Shape checked before any typed access: a number where the signature string belongs, or a variant
        // without data, must be a ParseException, not InvalidOperation/KeyNotFound.
        var t = v.ValueKind == JsonValueKind.Object && v.TryGetProperty("type", out var tt) && tt.ValueKind == JsonValueKind.String ? tt.GetString() : null;
        if (t is not ("t" or "u"))
        {
            throw new ParseException(input, $"{name}: expected type t or u, got {t ?? "none"}");
        }

        if (!v.TryGetProperty("data", out var d))
        {
            throw new ParseException(input, $"{name}: variant has no data");
        }

        return d.ValueKind == JsonValueKind.Number && d.TryGetUInt64(out var n) ? n : throw new ParseException(input, $"{name}: not an unsigned integer");
    }
}
