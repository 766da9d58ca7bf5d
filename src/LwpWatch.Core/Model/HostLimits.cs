namespace LwpWatch.Core.Model;

/// <summary>Host-wide ceilings above every zone (Linux kernel.threads-max / pid_max, /proc/loadavg).</summary>
public sealed record HostLimits
{
    public long? ThreadsMax { get; init; }

    public long? PidMax { get; init; }

    /// <summary>Tasks that exist on the host (loadavg 4th field, after the '/').</summary>
    public long? Tasks { get; init; }

    /// <summary>Runnable tasks (loadavg 4th field, before the '/').</summary>
    public long? Running { get; init; }
}
