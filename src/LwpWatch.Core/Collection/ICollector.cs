namespace LwpWatch.Core.Collection;

/// <summary>
/// Reads one source (a tool's output, a family of files) and returns what it learned. Collectors run in
/// registration order and may read what earlier ones contributed (e.g. psinfo maps numeric zone ids with
/// zoneadm's list); they never see rules or outputs. A throw or timeout fails only this collector.
/// </summary>
public interface ICollector
{
    /// <summary>The `collector` label of lwpwatch_collector_success.</summary>
    string Name { get; }

    Task<Contribution> CollectAsync(SnapshotDraft draft, CancellationToken cancellationToken);
}
