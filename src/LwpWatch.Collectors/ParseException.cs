namespace LwpWatch.Collectors;

/// <summary>
/// Input that does not have the format its tool or file is documented to have. Always names the input
/// (a file path or a command) and what was wrong, so a bad node output is a clear error, never a crash.
/// </summary>
public sealed class ParseException(string input, string problem) : FormatException($"{input}: {problem}")
{
    public string Input { get; } = input;

    public string Problem { get; } = problem;
}
