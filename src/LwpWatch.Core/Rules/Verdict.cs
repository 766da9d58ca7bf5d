using LwpWatch.Core.Model;

namespace LwpWatch.Core.Rules;

/// <summary>Why a service or provision is stuck: the differential diagnosis' answer.</summary>
public enum VerdictCause
{
    /// <summary>The zone (or a limiting ancestor) is at/near its thread cap or refusing forks.</summary>
    ThreadCap,

    /// <summary>CPU starved (PSI, nsec_waitrq).</summary>
    Cpu,

    /// <summary>OOM / allocation failures.</summary>
    Memory,

    /// <summary>A dependency that is itself failed/offline.</summary>
    Dependency,

    /// <summary>No evidence for any of the above.</summary>
    Unknown,
}

/// <summary>The stable JSON/label spelling of <see cref="VerdictCause"/> (a contract: never derived from the enum's names).</summary>
public static class VerdictCauses
{
    public static string WireName(this VerdictCause cause) => cause switch
    {
        VerdictCause.ThreadCap => "thread-cap",
        VerdictCause.Cpu => "cpu",
        VerdictCause.Memory => "memory",
        VerdictCause.Dependency => "dependency",
        _ => "unknown",
    };
}

/// <summary>
/// The verdict on one stuck service/provision. <see cref="StarvedZone"/> is the zone whose cap binds (the service's
/// own or an ancestor) when the cause is the thread cap. <see cref="Projected"/>: not starving yet, but projected
/// to reach the cap before vmadm's provisioning deadline. <see cref="Denials"/> are the refusals LwpWatch saw rise over
/// <see cref="DenialSpan"/> (the whole counter, flagged <see cref="DenialsSinceStart"/>, when it has one sample only):
/// evidence that the zone is refusing now, not its demand (that is the whole counter, see <see cref="CapSizing"/>).
/// </summary>
public sealed record Verdict(VerdictCause Cause, string Detail, Zone? StarvedZone, long Denials, bool DenialsSinceStart, bool Projected = false, TimeSpan DenialSpan = default)
{
    public bool IsCap => Cause == VerdictCause.ThreadCap;
}
