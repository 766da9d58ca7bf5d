namespace LwpWatch.Collectors.Io;

/// <summary>
/// Creation of everything LwpWatch writes (state dir, outbox database, evidence spool, capture bundles). They hold
/// every tenant's zone names, command lines and alert text: directories 0750 and files 0640 (owner writes, the
/// service group reads, others nothing), whatever the umask of whoever runs it. Run by hand as root with the
/// common umask 022, plain creation gave 0755/0644 (issue 13).
/// <para>
/// Created with the mode itself (open/mkdir can only take bits away through the umask, so the object is never
/// wider than the mode, not even for a moment), then chmod'ed to exactly that mode (a umask of 077 must not take
/// the group's read away either). Only what is created here is changed: an existing directory keeps the mode
/// its owner chose.
/// </para>
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    /// <summary>Creates <paramref name="path"/> and each missing parent as 0750.</summary>
    public static void CreateDirectory(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Directory.Exists(full))
        {
            return;
        }

        if (Path.GetDirectoryName(full) is { Length: > 0 } parent)
        {
            CreateDirectory(parent);
        }

        if (OperatingSystem.IsWindows())
        {
            // No Unix modes there (a developer's machine, never a node).
            Directory.CreateDirectory(full);
            return;
        }

        Directory.CreateDirectory(full, DirectoryMode);
        File.SetUnixFileMode(full, DirectoryMode);
    }

    /// <summary>Creates (or truncates) <paramref name="path"/> as 0640 for writing.</summary>
    public static FileStream Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return File.Create(path);
        }

        var fs = new FileStream(path, new FileStreamOptions
        {
            Mode = System.IO.FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = FileMode,
        });
        try
        {
            // fchmod on the open file: exact even if it existed (truncated) with another mode.
            File.SetUnixFileMode(fs.SafeFileHandle, FileMode);
            return fs;
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to a new (or truncated) 0640 file.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var fs = Create(path);
        fs.Write(bytes);
    }

    /// <summary>Sets an existing file (left by an older version, say) to 0640; nothing when it does not exist.</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            File.SetUnixFileMode(path, FileMode);
        }
    }

    /// <summary>Makes sure <paramref name="path"/> exists as a 0640 file without touching its content (SQLite then gives its -wal and -shm the same mode).</summary>
    public static void EnsureFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.Open(path, System.IO.FileMode.OpenOrCreate).Dispose();
            return;
        }

        using var fs = new FileStream(path, new FileStreamOptions
        {
            Mode = System.IO.FileMode.OpenOrCreate,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
            UnixCreateMode = FileMode,
        });
        File.SetUnixFileMode(fs.SafeFileHandle, FileMode);
    }
}
