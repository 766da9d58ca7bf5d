namespace LwpWatch.Daemon.Tests.Hardening.Fuzz;

/// <summary>
/// One parser under fuzz: its seeds (real-format fixtures), how to feed it bytes, and which exceptions are its
/// documented errors. Anything else thrown, or an input that runs past the time bound, is a failure.
/// </summary>
public sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Action<byte[]> Feed, Func<Exception, bool> IsDocumentedError)
{
    /// <summary>Relative weight: cheap pure parsers get more inputs than file-backed ones.</summary>
    public int Weight { get; init; } = 10;
}
