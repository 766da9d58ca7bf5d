namespace LwpWatch.Collectors.Capture;

/// <summary>Host paths as bundle keys: absolute, '/'-separated, no empty, '.' or '..' segments.</summary>
internal static class BundlePaths
{
    public const string BundleFile = "bundle.json";
    public const string PollFile = "poll.json";
    public const string FilesDir = "files";
    public const string FilesIndex = "files.json";
    public const string CommandsFile = "commands.json";
    public const string BusFile = "bus.json";

    public static string PollDirectoryName(int number) => number.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The canonical key of a host path; refuses anything that could point outside files/.</summary>
    public static string Normalize(string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            throw new BundleException($"path '{path}' is not absolute");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new BundleException($"path '{path.Replace("\0", "\\0", StringComparison.Ordinal)}' contains a NUL");
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var s in segments)
        {
            if (s is "." or "..")
            {
                throw new BundleException($"path '{path}' contains a '{s}' segment, which could leave the bundle");
            }
        }

        return "/" + string.Join('/', segments);
    }

    /// <summary>Where a host path lives under a poll's files/ directory.</summary>
    public static string Local(string filesRoot, string normalized) =>
        normalized == "/" ? filesRoot : Path.Join(filesRoot, normalized[1..]);
}
