namespace LwpWatch.Core.Rules;

/// <summary>rules.provisionStuck: an illumos provision whose marker lingers while vmadm's deadline approaches.</summary>
public sealed record ProvisionStuckSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>Marker older than this (vmadm says provisioning) = stuck. A healthy provision drops it in seconds.</summary>
    public TimeSpan MinAge { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Critical once vmadm's transition_expire is this close (it then fails the provision and stops the zone).</summary>
    public TimeSpan CriticalWhenLeft { get; init; } = TimeSpan.FromSeconds(120);

    public IEnumerable<string> Validate(string path)
    {
        if (MinAge < TimeSpan.Zero)
        {
            yield return $"{path}.minAge: must not be negative";
        }

        if (CriticalWhenLeft < TimeSpan.Zero)
        {
            yield return $"{path}.criticalWhenLeft: must not be negative";
        }
    }
}
