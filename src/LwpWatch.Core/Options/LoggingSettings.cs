namespace LwpWatch.Core.Options;

/// <summary>logging: Serilog level and format; always async and bounded.</summary>
public sealed record LoggingSettings
{
    /// <summary>Verbose, Debug, Information, Warning, Error, Fatal.</summary>
    public string Level { get; init; } = "Information";

    /// <summary>auto (text on a TTY, compact JSON otherwise), json or text.</summary>
    public string Format { get; init; } = "auto";

    /// <summary>Events buffered for the sink; beyond it events are dropped (and counted), never waited for.</summary>
    public int BufferSize { get; init; } = 10_000;

    private static readonly string[] Levels = ["Verbose", "Debug", "Information", "Warning", "Error", "Fatal"];

    public IEnumerable<string> Validate(string path)
    {
        if (!Levels.Contains(Level, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"{path}.level: must be one of {string.Join(", ", Levels)}, got '{Level}'";
        }

        if (Format is not ("auto" or "json" or "text"))
        {
            yield return $"{path}.format: must be auto, json or text, got '{Format}'";
        }

        if (BufferSize is < 16 or > 1_000_000)
        {
            yield return $"{path}.bufferSize: must be in [16, 1000000], got {BufferSize}";
        }
    }
}
