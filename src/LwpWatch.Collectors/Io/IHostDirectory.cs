namespace LwpWatch.Collectors.Io;

/// <summary>
/// One directory whose small files are read one after another and whose subdirectories are listed: the shape
/// of the per-cgroup hot path. Results mean exactly what the path-based calls on <see cref="IHostSource"/>
/// mean (-1 = gone, empty listing = gone). Dispose it when done (the live one holds a directory handle).
/// </summary>
public interface IHostDirectory : IDisposable
{
    string Path { get; }

    /// <inheritdoc cref="IHostSource.ReadSmallFile"/>
    int ReadSmallFile(string fileName, Span<byte> buffer);

    /// <inheritdoc cref="IHostSource.ListDirectories"/>
    IReadOnlyList<string> ListDirectories();
}

/// <summary>
/// The default <see cref="IHostSource.OpenDirectory"/>: plain path-based calls on the source, so recording and
/// replaying sources see every read without implementing anything.
/// </summary>
public sealed class PathHostDirectory(IHostSource io, string path) : IHostDirectory
{
    public string Path => path;

    public int ReadSmallFile(string fileName, Span<byte> buffer) => io.ReadSmallFile(path, fileName, buffer);

    public IReadOnlyList<string> ListDirectories() => io.ListDirectories(path);

    public void Dispose()
    {
    }
}
