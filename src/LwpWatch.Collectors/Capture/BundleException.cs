namespace LwpWatch.Collectors.Capture;

/// <summary>
/// A capture bundle cannot answer: the read, listing, mtime or command was not recorded, the path tries to
/// leave the bundle, or the bundle itself is malformed. An <see cref="IOException"/>, so a collector that hits
/// it fails alone (the poll goes on) with this message naming exactly what was missing.
/// </summary>
public sealed class BundleException(string message) : IOException(message);
