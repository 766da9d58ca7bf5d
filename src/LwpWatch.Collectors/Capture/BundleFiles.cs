using System.Globalization;
using System.Text;
using System.Text.Unicode;
using LwpWatch.Collectors.Io;
using Microsoft.Win32.SafeHandles;

namespace LwpWatch.Collectors.Capture;

/// <summary>
/// Every file access of a replay, confined to the bundle like openat2(RESOLVE_BENEATH): a path is resolved one
/// component at a time beneath the bundle's root, and so is every component of every symlink met on the way (the
/// poll's files/ directory itself included); an absolute symlink, or a '..' that would climb out, is refused.
/// Only regular files are read and only directories listed, sizes are checked before a byte is read, names must
/// be UTF-8, and nothing can block (FIFOs are opened non-blocking, never read). On Linux the kernel does the
/// resolution (openat2, race-free); elsewhere, or where openat2 is refused, the same rules are applied by
/// looking at each component (lstat) before going on.
/// Paths are bundle-relative, '/'-separated, and taken literally (a bundle stores escaped host names as they
/// are: "\xff" in a bundle is four characters). Every refusal is a <see cref="BundleViolationException"/>:
/// the bundle is malformed or hostile, and a replay of it stops (docs/BUNDLE-FORMAT.md, "Limits").
/// </summary>
internal sealed class BundleFiles : IDisposable
{
    /// <summary>The most a file under files/ may hold: far above any recorded /proc, cgroup or zone file.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    /// <summary>files.json and commands.json (tool outputs are capped by the runner, 1 MiB per stream by default).</summary>
    public const long MaxIndexBytes = 64L * 1024 * 1024;

    /// <summary>bundle.json and poll.json: a handful of keys.</summary>
    public const long MaxHeaderBytes = 1024 * 1024;

    /// <summary>Nesting of any JSON file (the format needs 3).</summary>
    public const int MaxJsonDepth = 32;

    /// <summary>Symlinks followed to resolve one path (the kernel's own limit, MAXSYMLINKS).</summary>
    public const int MaxLinkHops = 40;

    private readonly SafeFileHandle? _root;

    private BundleFiles(string root, SafeFileHandle? handle)
    {
        Root = root;
        _root = handle;
    }

    public enum Kind
    {
        Missing,
        File,
        Directory,
    }

    /// <summary>The bundle directory (as given, made absolute).</summary>
    public string Root { get; }

    public static BundleFiles Open(string directory) => Open(directory, native: true);

    /// <summary>With <paramref name="native"/> false, the by-hand resolution even where the kernel could do it (tests run both).</summary>
    internal static BundleFiles Open(string directory, bool native)
    {
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new BundleException($"{root}: not a capture bundle (not a directory)");
        }

        SafeFileHandle? handle = null;
        if (native && NativeLinuxFiles.Available)
        {
            var fd = NativeLinuxFiles.OpenDirectory(root);
            if (fd >= 0)
            {
                handle = new SafeFileHandle(fd, ownsHandle: true);
            }
        }

        return new BundleFiles(root, handle);
    }

    public void Dispose() => _root?.Dispose();

    /// <summary>
    /// The whole regular file at <paramref name="relative"/>, at most <paramref name="maxBytes"/> long (a longer one is
    /// refused before it is read); null when it does not exist. A directory there is refused.
    /// </summary>
    public byte[]? ReadFile(string relative, long maxBytes)
    {
        var bytes = ReadFile(relative, maxBytes, int.MaxValue, out var kind);
        return kind == Kind.Directory ? throw Violation(relative, "is a directory, where a file was expected") : bytes;
    }

    /// <summary>
    /// The first <paramref name="take"/> bytes of the regular file at <paramref name="relative"/> (a file longer than
    /// <paramref name="maxBytes"/> is refused before a byte of it is read), with what is there: null bytes when it
    /// is missing or a directory (<paramref name="kind"/> says which).
    /// </summary>
    public byte[]? ReadFile(string relative, long maxBytes, int take, out Kind kind)
    {
        if (Native(relative, directory: false) is { } native)
        {
            using var h = native;
            if (h.IsInvalid)
            {
                kind = Kind.Missing;
                return null;
            }

            var fd = (int)h.DangerousGetHandle();
            var size = CheckFile(fd, relative, maxBytes, out kind);
            return kind == Kind.File ? NativeLinuxFiles.ReadExactly(fd, relative, (int)Math.Min(size, take)) : null;
        }

        (kind, var local) = ResolveManaged(relative);
        if (kind != Kind.File)
        {
            return null;
        }

        var info = new FileInfo(local);
        if (info.Length > maxBytes)
        {
            throw TooBig(relative, info.Length, maxBytes);
        }

        // Zero bytes long is also what a FIFO or a device reports here: never opened, so never a hang.
        if (info.Length == 0)
        {
            return [];
        }

        using var fs = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        var buffer = new byte[(int)Math.Min(info.Length, take)];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = fs.Read(buffer, read, buffer.Length - read)) > 0)
        {
            read += n;
        }

        return read == buffer.Length ? buffer : buffer[..read];
    }

    /// <summary>What is at <paramref name="relative"/>: missing, a regular file or a directory (anything else is refused).</summary>
    public Kind KindOf(string relative)
    {
        if (Native(relative, directory: false) is { } native)
        {
            using var h = native;
            if (h.IsInvalid)
            {
                return Kind.Missing;
            }

            if (!NativeLinuxFiles.Stat((int)h.DangerousGetHandle(), relative, out var type, out _, out _))
            {
                return Kind.File;
            }

            return type == NativeLinuxFiles.SIfDir ? Kind.Directory
                : type == NativeLinuxFiles.SIfReg ? Kind.File
                : throw NotRegular(relative, type);
        }

        return ResolveManaged(relative).Kind;
    }

    /// <summary>
    /// The names in the directory at <paramref name="relative"/> (only its real subdirectories when
    /// <paramref name="directoriesOnly"/>), in ordinal order; null when it does not exist or is a file.
    /// </summary>
    public List<string>? List(string relative, bool directoriesOnly)
    {
        if (Native(relative, directory: true) is { } native)
        {
            using var h = native;
            if (h.IsInvalid)
            {
                return null;
            }

            var fd = (int)h.DangerousGetHandle();
            byte[]? entries = null;
            try
            {
                if (NativeLinuxFiles.ReadEntries(fd, relative, ref entries, out var length) == 0)
                {
                    var raw = new List<byte[]>();
                    NativeLinuxFiles.ParseRawNames(fd, entries.AsSpan(0, length), directoriesOnly, raw);
                    return Sorted(raw.Select(n => Utf8Name(relative, n)));
                }
            }
            finally
            {
                if (entries is not null)
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(entries);
                }
            }
        }

        var (kind, local) = ResolveManaged(relative);
        if (kind != Kind.Directory)
        {
            return null;
        }

        var names = new List<string>();
        foreach (var e in new DirectoryInfo(local).EnumerateFileSystemInfos())
        {
            // The managed listing decodes bytes that are not UTF-8 as U+FFFD (and cannot stat such a name again).
            if (e.Name.Contains('\uFFFD', StringComparison.Ordinal))
            {
                throw Violation(relative, "holds a name that is not UTF-8 (or holds U+FFFD)");
            }

            // Never follow symlinked directories (as the live source): a loop or an escape.
            if (!directoriesOnly || ((e.Attributes & FileAttributes.Directory) != 0 && (e.Attributes & FileAttributes.ReparsePoint) == 0))
            {
                names.Add(e.Name);
            }
        }

        return Sorted(names);
    }

    private static List<string> Sorted(IEnumerable<string> names)
    {
        var list = names.ToList();
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    private static string Utf8Name(string relative, byte[] name) =>
        Utf8.IsValid(name) ? Encoding.UTF8.GetString(name) : throw Violation(relative, $"holds a name that is not UTF-8 ({LwpWatch.Core.Model.CgroupName.Escape(name)})");

    /// <summary>The size of the open file, after refusing anything but a directory or a regular file no bigger than the bound.</summary>
    private static long CheckFile(int fd, string relative, long maxBytes, out Kind kind)
    {
        if (!NativeLinuxFiles.Stat(fd, relative, out var type, out var size, out _))
        {
            throw Violation(relative, "cannot be checked (no statx in this C library)");
        }

        if (type == NativeLinuxFiles.SIfDir)
        {
            kind = Kind.Directory;
            return 0;
        }

        kind = Kind.File;
        if (type != NativeLinuxFiles.SIfReg)
        {
            throw NotRegular(relative, type);
        }

        return size > maxBytes ? throw TooBig(relative, size, maxBytes) : size;
    }

    /// <summary>
    /// The file opened by the kernel beneath the root (an invalid handle when missing), or null when this platform
    /// or kernel cannot (the caller then resolves by hand).
    /// </summary>
    private SafeFileHandle? Native(string relative, bool directory)
    {
        if (_root is null)
        {
            return null;
        }

        CheckPath(relative);
        var r = NativeLinuxFiles.OpenBeneath((int)_root.DangerousGetHandle(), relative, directory, out var fd);
        return r switch
        {
            NativeLinuxFiles.Beneath.Opened => new SafeFileHandle(fd, ownsHandle: true),
            NativeLinuxFiles.Beneath.Missing => new SafeFileHandle(IntPtr.Zero - 1, ownsHandle: false),
            NativeLinuxFiles.Beneath.Escapes => throw Violation(relative, "leaves the bundle (an absolute symlink, or a '..' climbing out of it, on the way)"),
            NativeLinuxFiles.Beneath.TooManyLinks => throw Violation(relative, $"goes through more than {MaxLinkHops} symlinks"),
            _ => null,
        };
    }

    /// <summary>
    /// The same resolution by hand: each component is looked at (lstat) before going on; a symlink's target is
    /// resolved the same way from the directory that holds it.
    /// </summary>
    private (Kind Kind, string Local) ResolveManaged(string relative)
    {
        CheckPath(relative);
        var resolved = new List<string>();
        var pending = new LinkedList<string>(relative.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var hops = 0;
        while (pending.First is { } first)
        {
            var c = first.Value;
            pending.RemoveFirst();
            if (c == ".")
            {
                continue;
            }

            if (c == "..")
            {
                if (resolved.Count == 0)
                {
                    throw Violation(relative, "leaves the bundle (a '..' climbing out of it on the way)");
                }

                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            var local = Path.Join(Root, string.Join('/', resolved), c);
            var info = new FileInfo(local);
            if (!info.Exists && !Directory.Exists(local) && info.LinkTarget is null)
            {
                return (Kind.Missing, local);
            }

            if (info.LinkTarget is { } target)
            {
                if (++hops > MaxLinkHops)
                {
                    throw Violation(relative, $"goes through more than {MaxLinkHops} symlinks");
                }

                if (Path.IsPathRooted(target))
                {
                    throw Violation(relative, $"leaves the bundle (the symlink {string.Join('/', [.. resolved, c])} is absolute)");
                }

                var parts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
                for (var i = parts.Length - 1; i >= 0; i--)
                {
                    pending.AddFirst(parts[i]);
                }

                continue;
            }

            if (pending.First is not null && (info.Attributes & FileAttributes.Directory) == 0)
            {
                return (Kind.Missing, local); // a file where a directory was needed: ENOTDIR, not there
            }

            resolved.Add(c);
        }

        var final = Path.Join(Root, string.Join('/', resolved));
        return Directory.Exists(final) ? (Kind.Directory, final) : (Kind.File, final);
    }

    private static void CheckPath(string relative)
    {
        if (relative.Contains('\0', StringComparison.Ordinal) || relative.StartsWith('/'))
        {
            throw Violation(relative.Replace("\0", "\\0", StringComparison.Ordinal), "is not a plain bundle-relative path");
        }
    }

    private static BundleViolationException NotRegular(string relative, int type) =>
        Violation(relative, type switch
        {
            0x1000 => "is a FIFO, not a regular file",
            0x2000 => "is a character device, not a regular file",
            0x6000 => "is a block device, not a regular file",
            0xC000 => "is a socket, not a regular file",
            NativeLinuxFiles.SIfDir => "is a directory, where a file was expected",
            _ => "is not a regular file",
        });

    private static BundleViolationException TooBig(string relative, long size, long max) =>
        Violation(relative, string.Create(CultureInfo.InvariantCulture, $"is {size} bytes, more than the {max} a bundle file may hold"));

    private static BundleViolationException Violation(string relative, string why) => new($"{relative}: {why}");
}
