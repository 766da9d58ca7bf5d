using System.Collections.Immutable;

namespace LwpWatch.Collectors.Process;

/// <summary>What one tool run produced. Output beyond the runner's cap is cut and <see cref="Truncated"/> is set.</summary>
public sealed record CommandResult
{
    public required ImmutableArray<string> Argv { get; init; }

    /// <summary>Exit code; -1 when the process could not be started or was killed on timeout.</summary>
    public required int ExitCode { get; init; }

    public string Stdout { get; init; } = "";

    public string Stderr { get; init; } = "";

    public TimeSpan Duration { get; init; }

    public bool TimedOut { get; init; }

    public bool Truncated { get; init; }

    /// <summary>Set when the executable could not be started at all (not found, not executable).</summary>
    public string? StartError { get; init; }

    public bool Succeeded => ExitCode == 0 && !TimedOut && StartError is null;

    /// <summary>One line for errors/logs: which command failed and how.</summary>
    public string Describe()
    {
        var cmd = string.Join(' ', Argv);
        if (StartError is not null)
        {
            return $"'{cmd}' could not start: {StartError}";
        }

        if (TimedOut)
        {
            return $"'{cmd}' timed out after {Duration.TotalSeconds:0.###}s and was killed";
        }

        var err = Stderr.Trim();
        if (err.Length > 200)
        {
            err = err[..200] + "...";
        }

        return ExitCode == 0 ? $"'{cmd}' ok" : $"'{cmd}' exited {ExitCode}{(err.Length > 0 ? ": " + err : "")}";
    }
}
