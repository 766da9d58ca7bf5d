namespace LwpWatch.Collectors.Capture;

/// <summary>
/// A capture bundle cannot answer: the read, listing, mtime or command was not recorded, the path tries to
/// leave the bundle, or the bundle itself is malformed. An <see cref="IOException"/>, so a collector that hits
/// it fails alone (the poll goes on) with this message naming exactly what was missing.
/// </summary>
public class BundleException(string message) : IOException(message);

/// <summary>
/// The bundle is malformed or hostile (a path leaving it, a file that is not a regular file, a size or depth past
/// its bound, a name that is not UTF-8): unlike a read the bundle merely did not record, this stops the replay
/// (the command says this one line and exits 3), because nothing the replay went on to print could be trusted.
/// </summary>
public sealed class BundleViolationException(string message) : BundleException(message);
