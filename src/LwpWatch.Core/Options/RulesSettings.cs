using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Options;

/// <summary>rules: one section per rule.</summary>
public sealed record RulesSettings
{
    public NearCapSettings NearCap { get; init; } = new();

    public ForkDeniedSettings ForkDenied { get; init; } = new();

    public IEnumerable<string> Validate(string path) =>
        NearCap.Validate($"{path}.nearCap")
            .Concat(ForkDenied.Validate($"{path}.forkDenied"));
}
