namespace LwpWatch.Core.Options;

/// <summary>state: where the daemon keeps what must survive a restart (alert state, outbox, evidence).</summary>
public sealed record StateSettings
{
    public string Dir { get; init; } = "/var/lib/lwpwatch";

    public IEnumerable<string> Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(Dir))
        {
            yield return $"{path}.dir: must not be empty";
        }
    }
}
