namespace LwpWatch.Daemon.Tests.Integration;

/// <summary>
/// Tests that read the whole machine's cgroups run one at a time: another test's cgroup at its cap would
/// otherwise change this test's exit code.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealSystemCollection
{
    public const string Name = "real system";
}
