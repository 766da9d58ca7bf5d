using LwpWatch.Core.Collection;
using LwpWatch.Core.Options;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Illumos;
using LwpWatch.Collectors.Linux;

namespace LwpWatch.Collectors;

/// <summary>
/// The one place collectors are registered, per platform, in the order they run (later collectors may read
/// what earlier ones found). Adding a collector = one line here.
/// </summary>
public static class CollectorFactory
{
    public const string Linux = "linux";
    public const string Illumos = "illumos";

    /// <summary>illumos exposes /proc/self/psinfo; Linux does not.</summary>
    public static string DetectPlatform(string configured, IHostSource io) => configured switch
    {
        "linux" => Linux,
        "illumos" => Illumos,
        _ => io.FileExists("/proc/self/psinfo") ? Illumos : Linux,
    };

    public static IReadOnlyList<ICollector> Create(string platform, LwpWatchOptions options, IHostSource io) => platform switch
    {
        Linux =>
        [
            // Half the collector timeout for the tree walks: a walk a tenant's tree cuts short still reports what it read.
            new CgroupPidsCollector(io, options.Linux, options.Poll.CollectorTimeout / 2),
            new ProcHoldersCollector(io, options.Linux, options.Poll.CollectorTimeout / 2),
            new HostLimitsCollector(io, options.Linux),
            new SystemdCollector(io, options.Linux),
            new PressureCollector(io, options.Linux),
        ],
        Illumos =>
        [
            new ZoneadmCollector(io, options.Illumos),
            new KstatCollector(io, options.Illumos),
            new ZoneConfigCollector(io, options.Illumos),
            new PsinfoCollector(io, options.Illumos),
            new SvcsCollector(io, options.Illumos),
        ],
        _ => throw new ArgumentException($"unknown platform '{platform}'", nameof(platform)),
    };
}
