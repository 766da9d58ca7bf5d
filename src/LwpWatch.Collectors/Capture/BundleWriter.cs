using System.Globalization;
using System.Text.Json;
using LwpWatch.Collectors.Bus;
using LwpWatch.Collectors.Io;
using LwpWatch.Collectors.Process;

namespace LwpWatch.Collectors.Capture;

/// <summary>
/// Writes a capture bundle (format version 1, see DESIGN.md "Capture bundles"):
/// bundle.json, and per poll polls/NNNN/{poll.json, files/&lt;abs path&gt;, files.json, commands.json, bus.json}.
/// bundle.json is rewritten after every poll, so an interrupted capture is still a valid, shorter bundle.
/// </summary>
public sealed class BundleWriter
{
    public const int Version = 1;

    /// <summary>Paths named in poll.json's "unstored" list; the rest are only counted (bounded whatever tenants do).</summary>
    public const int MaxUnstoredListed = 100;

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

    /// <summary>How many recorded paths of the last poll could not be stored (named too long for a file name here).</summary>
    public int LastUnstored { get; private set; }

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

    /// <summary>Adds the next poll (numbered from 1) with its clock and what was recorded.</summary>
    public int WritePoll(DateTimeOffset takenAt, PollRecording recording)
    {
        var number = _polls + 1;
        var dir = Path.Join(_root, "polls", BundlePaths.PollDirectoryName(number));
        var files = Path.Join(dir, BundlePaths.FilesDir);
        // 0750/0640 (PrivateFiles): a bundle holds every process's command line and every zone's name.
        PrivateFiles.CreateDirectory(files);

        // A key is the host path with non-UTF-8 bytes escaped (\xHH, four characters a byte), so a tenant's 255-byte
        // cgroup name can be a key segment no file system here can hold as a name. Such a path is left out and
        // named in poll.json ("unstored"), not allowed to end the capture: one tenant's name must not cost the
        // bundle of every other zone.
        var unstored = new List<string>();
        var unstoredCount = 0;
        void Unstored(string key)
        {
            unstoredCount++;
            if (unstored.Count < MaxUnstoredListed)
            {
                unstored.Add(key);
            }
        }

        foreach (var d in recording.Directories)
        {
            try
            {
                PrivateFiles.CreateDirectory(BundlePaths.Local(files, d));
            }
            catch (PathTooLongException)
            {
                Unstored(d);
            }
        }

        foreach (var (path, bytes) in recording.Files)
        {
            var local = BundlePaths.Local(files, path);
            try
            {
                PrivateFiles.CreateDirectory(Path.GetDirectoryName(local)!);
                PrivateFiles.WriteAllBytes(local, bytes);
            }
            catch (PathTooLongException)
            {
                Unstored(path);
            }
        }

        LastUnstored = unstoredCount;
        WriteJson(Path.Join(dir, BundlePaths.PollFile), w =>
        {
            w.WriteStartObject();
            w.WriteString("takenAt", Iso(takenAt));
            if (unstoredCount > 0)
            {
                w.WriteNumber("unstoredCount", unstoredCount);
                w.WriteStartArray("unstored");
                foreach (var k in unstored)
                {
                    w.WriteStringValue(k);
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
                    w.WriteString("mtime", Iso(m));
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

    internal static string Iso(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void WriteCommand(Utf8JsonWriter w, CommandResult c)
    {
        w.WriteStartObject();
        w.WriteStartArray("argv");
        foreach (var a in c.Argv)
        {
            w.WriteStringValue(a);
        }

        w.WriteEndArray();
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
        w.WriteString("address", c.Address);
        w.WriteString("destination", c.Destination);
        w.WriteString("path", c.Path);
        w.WriteString("interface", c.Interface);
        w.WriteString("member", c.Member);
        w.WriteStartArray("args");
        foreach (var a in c.Args)
        {
            w.WriteStringValue(a);
        }

        w.WriteEndArray();

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
        using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }

        File.Move(tmp, path, overwrite: true);
    }
}
