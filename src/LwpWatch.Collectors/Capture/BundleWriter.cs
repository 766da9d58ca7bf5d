using System.Text.Json;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;
using LwpWatch.Core.Output;

namespace LwpWatch.Collectors.Capture;

/// <summary>
/// Writes a capture bundle (format version 1, see DESIGN.md "Capture bundles"):
/// bundle.json, and per poll polls/NNNN/{poll.json, files/&lt;abs path&gt;, files.json, commands.json, bus.json}.
/// bundle.json is rewritten after every poll, so an interrupted capture is still a valid, shorter bundle.
/// </summary>
public sealed class BundleWriter
{
    public const int Version = 1;

    private readonly string _root;
    private readonly string _platform;
    private readonly string _host;
    private int _polls;

    private BundleWriter(string root, string platform, string host)
    {
        _root = root;
        _platform = platform;
        _host = host;
    }

    public string Root => _root;

    public int Polls => _polls;

    /// <summary>Starts a bundle in <paramref name="directory"/>, which must not exist or be empty (never mixes two captures).</summary>
    public static BundleWriter Create(string directory, string platform, string host)
    {
        if (platform is not ("linux" or "illumos"))
        {
            throw new ArgumentException($"platform must be linux or illumos, got '{platform}'", nameof(platform));
        }

        var root = Path.GetFullPath(directory);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new BundleException($"capture: {root} is not empty; choose a new directory");
        }

        PrivateFiles.CreateDirectory(root);
        var w = new BundleWriter(root, platform, host);
        w.WriteBundleJson();
        return w;
    }

    /// <summary>Longest path the kernel takes in one call, terminating NUL included (PATH_MAX, include/uapi/linux/limits.h).</summary>
    public const int PathMax = 4096;

    /// <summary>Longest file name (NAME_MAX, include/uapi/linux/limits.h).</summary>
    public const int NameMax = 255;

    /// <summary>Paths named in poll.json's "unstored" list; the rest are only counted (bounded whatever tenants do).</summary>
    public const int MaxUnstoredListed = 100;

    /// <summary>Bytes of names in poll.json's "unstored" list at most: a key can be 128 levels of 1,020-character escaped names, and the reader takes poll.json up to 1 MiB.</summary>
    public const int MaxUnstoredListedChars = 256 * 1024;

    /// <summary>
    /// Host paths of the last poll written that could not be stored under files/ (see <see cref="WritePoll"/>),
    /// sorted, all of them (in memory only: no more than the poll recorded).
    /// </summary>
    public IReadOnlyList<string> Unstored { get; private set; } = [];

    /// <summary>How many recorded paths of the last poll could not be stored.</summary>
    public int LastUnstored => Unstored.Count;

    /// <summary>
    /// Adds the next poll (numbered from 1) with its clock and what was recorded. A host path whose copy under
    /// files/ would be longer than PATH_MAX, or hold a name longer than NAME_MAX (a tenant's chain of 255-byte
    /// cgroup names, or a name whose escaped form grew past 255), is not stored: it is counted and named in
    /// poll.json ("unstoredCount", and "unstored" naming the first <see cref="MaxUnstoredListed"/>) and in <see cref="Unstored"/>, and the rest of the poll is written. Before, one such
    /// tenant tree made every capture on the host fail.
    /// </summary>
    public int WritePoll(DateTimeOffset takenAt, PollRecording recording)
    {
        var number = _polls + 1;
        var dir = Path.Join(_root, "polls", BundlePaths.PollDirectoryName(number));
        var files = Path.Join(dir, BundlePaths.FilesDir);
        // 0750/0640 (PrivateFiles): a bundle holds every process's command line and every zone's name.
        PrivateFiles.CreateDirectory(files);

        // A listed directory is stored only if a file of any name fits inside it: a replay lists directories from
        // the files/ tree, so a stored cgroup directory whose pids.max could not be stored would be walked into and
        // found without it (the collector's error); left out whole, the replay sees the tree end one level higher.
        var unstored = new SortedSet<string>(StringComparer.Ordinal);
        var unstoredDirs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in recording.Directories)
        {
            var local = BundlePaths.Local(files, d);
            if (!Storable(local + "/" + new string('x', NameMax), files))
            {
                unstored.Add(d);
                unstoredDirs.Add(d);
                continue;
            }

            PrivateFiles.CreateDirectory(local);
        }

        foreach (var (path, bytes) in recording.Files)
        {
            var local = BundlePaths.Local(files, path);
            if (!Storable(local, files) || UnderAny(path, unstoredDirs))
            {
                unstored.Add(path);
                continue;
            }

            PrivateFiles.CreateDirectory(Path.GetDirectoryName(local)!);
            PrivateFiles.WriteAllBytes(local, bytes);
        }

        Unstored = [.. unstored];
        WriteJson(Path.Join(dir, BundlePaths.PollFile), w =>
        {
            w.WriteStartObject();
            w.WriteString("takenAt", Timestamps.Ticks(takenAt));
            if (unstored.Count > 0)
            {
                w.WriteNumber("unstoredCount", unstored.Count);
                w.WriteStartArray("unstored");
                var chars = 0;
                foreach (var u in Unstored.Take(MaxUnstoredListed))
                {
                    chars += u.Length;
                    if (chars > MaxUnstoredListedChars)
                    {
                        break;
                    }

                    w.WriteStringValue(u);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        });

        WriteJson(Path.Join(dir, BundlePaths.FilesIndex), w =>
        {
            // Sorted by path: mtimes asked for, and paths asked about that did not exist (mtime null).
            w.WriteStartArray();
            var keys = new SortedSet<string>(recording.Mtimes.Keys, StringComparer.Ordinal);
            keys.UnionWith(recording.Absent);
            foreach (var k in keys)
            {
                w.WriteStartObject();
                w.WriteString("path", k);
                if (recording.Mtimes.TryGetValue(k, out var m))
                {
                    w.WriteString("mtime", Timestamps.Ticks(m));
                }
                else
                {
                    w.WriteNull("mtime");
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

        WriteJson(Path.Join(dir, BundlePaths.CommandsFile), w =>
        {
            w.WriteStartArray();
            foreach (var c in recording.Commands)
            {
                WriteCommand(w, c);
            }

            w.WriteEndArray();
        });

        // Only when the poll made bus calls: an illumos bundle, or one from before the bus seam, has none.
        if (recording.Bus.Length > 0)
        {
            WriteJson(Path.Join(dir, BundlePaths.BusFile), w =>
            {
                w.WriteStartArray();
                foreach (var b in recording.Bus)
                {
                    WriteBusCall(w, b);
                }

                w.WriteEndArray();
            });
        }

        _polls = number;
        WriteBundleJson();
        return number;
    }

    /// <summary>Whether a directory above <paramref name="hostPath"/> is one of <paramref name="dirs"/> (writing the file would create it).</summary>
    private static bool UnderAny(string hostPath, HashSet<string> dirs)
    {
        for (var i = hostPath.LastIndexOf('/'); dirs.Count > 0 && i > 0; i = hostPath.LastIndexOf('/', i - 1))
        {
            if (dirs.Contains(hostPath[..i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="local"/> can be created with one path-based call: below PATH_MAX, every name below files/ within NAME_MAX.</summary>
    private static bool Storable(string local, string filesRoot)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(local) >= PathMax)
        {
            return false;
        }

        foreach (var name in local.AsSpan(filesRoot.Length).ToString().Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (System.Text.Encoding.UTF8.GetByteCount(name) > NameMax)
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteCommand(Utf8JsonWriter w, CommandResult c)
    {
        w.WriteStartObject();
        JsonOutput.Strings(w, "argv", c.Argv);
        w.WriteNumber("exitCode", c.ExitCode);
        w.WriteString("stdout", c.Stdout);
        w.WriteString("stderr", c.Stderr);
        w.WriteNumber("durationMs", (long)Math.Round(c.Duration.TotalMilliseconds));

        // Optional (absent when false/null): a run that never started or was killed is not an exit code.
        if (c.TimedOut)
        {
            w.WriteBoolean("timedOut", true);
        }

        if (c.Truncated)
        {
            w.WriteBoolean("truncated", true);
        }

        if (c.StartError is not null)
        {
            w.WriteString("startError", c.StartError);
        }

        w.WriteEndObject();
    }

    private static void WriteBusCall(Utf8JsonWriter w, BusReply r)
    {
        var c = r.Call;
        w.WriteStartObject();
        JsonOutput.Fields(w, ("address", c.Address), ("destination", c.Destination), ("path", c.Path), ("interface", c.Interface), ("member", c.Member), ("args", c.Args));

        // The reply as a JSON value (busctl's shape), readable in the bundle; absent when the call failed.
        if (r.Json is not null)
        {
            w.WritePropertyName("reply");
            w.WriteRawValue(r.Json, skipInputValidation: false);
        }

        if (r.ErrorName is not null)
        {
            w.WriteString("errorName", r.ErrorName);
        }

        if (r.Error is not null)
        {
            w.WriteString("error", r.Error);
        }

        if (r.TimedOut)
        {
            w.WriteBoolean("timedOut", true);
        }

        w.WriteNumber("durationMs", (long)Math.Round(r.Duration.TotalMilliseconds));
        w.WriteEndObject();
    }

    private void WriteBundleJson() => WriteJson(Path.Join(_root, BundlePaths.BundleFile), w =>
    {
        w.WriteStartObject();
        w.WriteNumber("version", Version);
        w.WriteString("platform", _platform);
        w.WriteString("host", _host);
        w.WriteNumber("polls", _polls);
        w.WriteEndObject();
    });

    /// <summary>Write to a temp file and rename, so a reader never sees half a JSON file.</summary>
    private static void WriteJson(string path, Action<Utf8JsonWriter> write)
    {
        var tmp = path + ".tmp";
        using (var fs = PrivateFiles.Create(tmp))
        using (var w = new Utf8JsonWriter(fs, JsonOutput.RelaxedIndented))
        {
            write(w);
        }

        File.Move(tmp, path, overwrite: true);
    }
}
