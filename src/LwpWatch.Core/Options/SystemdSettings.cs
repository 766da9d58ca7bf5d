namespace LwpWatch.Core.Options;

/// <summary>
/// linux.systemd: where and how to ask systemd for unit states. The bus address is configurable so LwpWatch
/// can watch a systemd that is not the host's PID 1 (a container's manager through
/// /proc/&lt;leader&gt;/root/run/dbus/system_bus_socket).
/// </summary>
public sealed record SystemdSettings
{
    /// <summary>
    /// auto: collect only when the bus socket exists (hosts without systemd report that once per poll as a
    /// warning instead of failing the collector); true: a missing bus fails the collector; false: off.
    /// </summary>
    public string Enabled { get; init; } = "auto";

    /// <summary>D-Bus address of the system bus that systemd (org.freedesktop.systemd1) is on.</summary>
    public string BusAddress { get; init; } = "unix:path=/run/dbus/system_bus_socket";

    /// <summary>
    /// Host cgroup path of the manager's cgroup namespace root ("" on a normal host). A container's systemd
    /// reports ControlGroup=/system.slice/x.service while the host sees /&lt;prefix&gt;/system.slice/x.service.
    /// </summary>
    public string CgroupPrefix { get; init; } = "";

    /// <summary>Host path of the manager's root file system ("/" on a normal host): where auto looks for run/systemd/system, and journalctl --root for evidence.</summary>
    public string RootDir { get; init; } = "/";

    /// <summary>Time bound of each D-Bus call (connect included) and of each systemctl/journalctl run; killed on expiry.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Per-unit property queries per poll (one D-Bus GetAll each, run in parallel). Needed only when a unit newly
    /// enters or changes a transition state; the answer is cached while the state holds.
    /// </summary>
    public int MaxDetailQueries { get; init; } = 16;

    public IEnumerable<string> Validate(string path)
    {
        if (Enabled is not ("auto" or "true" or "false"))
        {
            yield return $"{path}.enabled: must be auto, true or false, got '{Enabled}'";
        }

        if (!BusAddress.StartsWith("unix:", StringComparison.Ordinal) && !BusAddress.StartsWith("tcp:", StringComparison.Ordinal))
        {
            yield return $"{path}.busAddress: must be a D-Bus address like unix:path=/run/dbus/system_bus_socket, got '{BusAddress}'";
        }

        if (CgroupPrefix.Length > 0 && (!CgroupPrefix.StartsWith('/') || CgroupPrefix.EndsWith('/')))
        {
            yield return $"{path}.cgroupPrefix: must be empty or start with '/' and not end with '/', got '{CgroupPrefix}'";
        }

        if (string.IsNullOrWhiteSpace(RootDir))
        {
            yield return $"{path}.rootDir: must not be empty";
        }

        if (CommandTimeout <= TimeSpan.Zero)
        {
            yield return $"{path}.commandTimeout: must be positive";
        }

        if (MaxDetailQueries is < 0 or > 256)
        {
            yield return $"{path}.maxDetailQueries: must be in [0, 256], got {MaxDetailQueries}";
        }
    }

    /// <summary>The socket file of a unix:path= address, or null for other transports.</summary>
    public string? SocketPath()
    {
        const string key = "path=";
        if (!BusAddress.StartsWith("unix:", StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var part in BusAddress["unix:".Length..].Split(','))
        {
            if (part.StartsWith(key, StringComparison.Ordinal))
            {
                return part[key.Length..];
            }
        }

        return null;
    }
}
