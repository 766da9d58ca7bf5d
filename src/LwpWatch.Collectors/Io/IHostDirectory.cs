namespace LwpWatch.Collectors.Io;

/// <summary>
/// One directory whose small files are read one after another, whose subdirectories are listed and opened: the
/// shape of a cgroup walk. Results mean exactly what the path-based calls on <see cref="IHostSource"/> mean (-1 =
/// gone, empty listing = gone, names escaped). The live one holds a directory handle and opens everything
/// relative to it, so neither the depth nor the bytes of a tenant's names can make a path too long to open.
/// Dispose it when done.
/// </summary>
public interface IHostDirectory : IDisposable
{
    /// <summary>The escaped host path (see <see cref="IHostSource"/>).</summary>
    string Path { get; }

    /// <inheritdoc cref="IHostSource.ReadSmallFile"/>
    int ReadSmallFile(string fileName, Span<byte> buffer);

    /// <inheritdoc cref="IHostSource.ReadText"/>
    string? ReadText(string fileName);

    /// <inheritdoc cref="IHostSource.ListDirectories"/>
    IReadOnlyList<string> ListDirectories();

    /// <summary>
    /// The subdirectory <paramref name="name"/> (one escaped name from <see cref="ListDirectories"/>), opened relative
    /// to this one and never through a symlink. Never throws for one that went away: its reads then say "gone".
    /// </summary>
    IHostDirectory OpenSubdirectory(string name);
}

/// <summary>
/// The default <see cref="IHostSource.OpenDirectory"/>: plain path-based calls on the source, so recording and
/// replaying sources see every read without implementing anything.
/// </summary>
public sealed class PathHostDirectory(IHostSource io, string path) : IHostDirectory
{
    public string Path => path;

    public int ReadSmallFile(string fileName, Span<byte> buffer) => io.ReadSmallFile(path, fileName, buffer);

    public string? ReadText(string fileName) => io.ReadText(path + "/" + fileName);

    public IReadOnlyList<string> ListDirectories() => io.ListDirectories(path);

    public IHostDirectory OpenSubdirectory(string name) => new PathHostDirectory(io, path + "/" + name);

    public void Dispose()
    {
    }
}
