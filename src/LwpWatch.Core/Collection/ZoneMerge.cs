using LwpWatch.Core.Model;

namespace LwpWatch.Core.Collection;

/// <summary>Field-by-field merge: the newer contribution's non-null values win.</summary>
internal static class ZoneMerge
{
    public static Zone Merge(Zone a, Zone b) => a with
    {
        Kind = b.Kind,
        // A collector that only knows the id passes Name = Id; never let it overwrite a real alias.
        Name = string.Equals(b.Name, b.Id, StringComparison.Ordinal) ? a.Name : b.Name,
        Lwps = b.Lwps ?? a.Lwps,
        LwpLimit = b.LwpLimit ?? a.LwpLimit,
        Processes = b.Processes ?? a.Processes,
        ProcessLimit = b.ProcessLimit ?? a.ProcessLimit,
        Denials = b.Denials ?? a.Denials,
        Peak = b.Peak ?? a.Peak,
        Unit = b.Unit ?? a.Unit,
        Container = b.Container ?? a.Container,
        Pod = b.Pod ?? a.Pod,
        CgroupPath = b.CgroupPath ?? a.CgroupPath,
        ZoneNumericId = b.ZoneNumericId ?? a.ZoneNumericId,
        State = b.State ?? a.State,
        ZonePath = b.ZonePath ?? a.ZonePath,
        Pressure = Merge(a.Pressure, b.Pressure),
    };

    public static ZonePressure? Merge(ZonePressure? a, ZonePressure? b) => (a, b) switch
    {
        (null, _) => b,
        (_, null) => a,
        _ => new ZonePressure
        {
            MemoryFailures = b.MemoryFailures ?? a.MemoryFailures,
            ProcessTableFailures = b.ProcessTableFailures ?? a.ProcessTableFailures,
            CpuWaitNanos = b.CpuWaitNanos ?? a.CpuWaitNanos,
            CpuPressureAvg10 = b.CpuPressureAvg10 ?? a.CpuPressureAvg10,
        },
    };

    public static HostLimits Merge(HostLimits? a, HostLimits b) => a is null ? b : new HostLimits
    {
        ThreadsMax = b.ThreadsMax ?? a.ThreadsMax,
        PidMax = b.PidMax ?? a.PidMax,
        Tasks = b.Tasks ?? a.Tasks,
        Running = b.Running ?? a.Running,
    };
}
