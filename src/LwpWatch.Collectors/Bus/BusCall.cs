using System.Collections.Immutable;

namespace LwpWatch.Collectors.Bus;

/// <summary>
/// One D-Bus method call LwpWatch makes (only read-only calls with string arguments: ListUnits, Properties.GetAll).
/// It is the key a replay answers by, so every field that changes the answer is in it, the bus address too.
/// </summary>
public sealed record BusCall(string Address, string Destination, string Path, string Interface, string Member, ImmutableArray<string> Args)
{
    /// <summary>The D-Bus signature of <see cref="Args"/>: one 's' per argument.</summary>
    public string Signature => new('s', Args.Length);

    /// <summary>Exact-match key (NUL cannot occur in a D-Bus string, so it cannot make two calls collide).</summary>
    public string Key => string.Join('\0', [Address, Destination, Path, Interface, Member, .. Args]);

    /// <summary>Short human form for errors and logs: "org.freedesktop.DBus.Properties.GetAll /org/.../x_2eservice".</summary>
    public string Describe() => $"{Interface}.{Member} {Path}";

    public bool Equals(BusCall? other) => other is not null && Key == other.Key;

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);
}

/// <summary>
/// What one bus call produced: the reply in busctl's <c>--json=short</c> shape (<c>{"type":SIG,"data":[...]}</c>),
/// or a D-Bus error reply, or a transport failure / timeout. The JSON form is the one seam shared by live calls,
/// capture bundles (bus.json) and replay, so a replay runs exactly the parser a live poll runs.
/// </summary>
public sealed record BusReply
{
    public required BusCall Call { get; init; }

    /// <summary>The reply body as busctl --json=short prints it; null when the call did not return a value.</summary>
    public string? Json { get; init; }

    /// <summary>D-Bus error name of an error reply (e.g. org.freedesktop.DBus.Error.UnknownObject).</summary>
    public string? ErrorName { get; init; }

    /// <summary>Error reply text, or what went wrong on the transport (connect refused, connection closed, bad reply).</summary>
    public string? Error { get; init; }

    public bool TimedOut { get; init; }

    public TimeSpan Duration { get; init; }

    public bool Succeeded => Json is not null && !TimedOut;

    /// <summary>One line for warnings and collector errors: which call failed and how.</summary>
    public string Describe()
    {
        var what = $"D-Bus {Call.Describe()} on {Call.Address}";
        if (TimedOut)
        {
            return $"{what} timed out after {Duration.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}s";
        }

        if (Succeeded)
        {
            return $"{what} ok";
        }

        var err = (Error ?? "no reply").ReplaceLineEndings(" ");
        if (err.Length > 200)
        {
            err = err[..200] + "...";
        }

        return ErrorName is null ? $"{what} failed: {err}" : $"{what} failed: {ErrorName}: {err}";
    }
}
