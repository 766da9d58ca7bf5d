using LwpWatch.Core.Collection;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Linux;

/// <summary>Host-wide ceilings: kernel.threads-max, kernel.pid_max and the task count from /proc/loadavg.</summary>
public sealed class HostLimitsCollector(IHostSource io, LinuxSettings settings) : ICollector
{
    public string Name => "host-limits";

    public Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken)
    {
        var proc = settings.ProcRoot.TrimEnd('/');
        long? Read(string rel)
        {
            var path = proc + rel;
            var text = io.ReadText(path);
            return text is null ? null : HostLimitsParser.ParseSingle(text, path);
        }

        var loadPath = proc + "/loadavg";
        var load = io.ReadText(loadPath);
        (long Running, long Total)? la = load is null ? null : HostLimitsParser.ParseLoadavg(load, loadPath);
        var limits = new HostLimits
        {
            ThreadsMax = Read("/sys/kernel/threads-max"),
            PidMax = Read("/sys/kernel/pid_max"),
            Running = la?.Running,
            Tasks = la?.Total,
        };
        if (limits.ThreadsMax is null && limits.PidMax is null && la is null)
        {
            throw new IOException($"none of {proc}/sys/kernel/threads-max, pid_max, loadavg is readable");
        }

        return Task.FromResult(new Contribution { HostLimits = limits });
    }
}
