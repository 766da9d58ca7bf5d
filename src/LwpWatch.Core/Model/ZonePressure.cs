namespace LwpWatch.Core.Model;

/// <summary>
/// Non-thread pressure counters of a zone. All cumulative counters; rules look at their deltas.
/// They exist so the diagnosis never blames the thread cap without evidence.
/// </summary>
public sealed record ZonePressure
{
    /// <summary>illumos forkfail_nomem / Linux memory.events oom + oom_kill.</summary>
    public long? MemoryFailures { get; init; }

    /// <summary>illumos forkfail_noproc (host process table full).</summary>
    public long? ProcessTableFailures { get; init; }

    /// <summary>illumos zones:::nsec_waitrq (ns spent runnable but waiting for a CPU).</summary>
    public long? CpuWaitNanos { get; init; }

    /// <summary>Linux cgroup cpu.pressure "some avg10" (percent), where present.</summary>
    public double? CpuPressureAvg10 { get; init; }
}
