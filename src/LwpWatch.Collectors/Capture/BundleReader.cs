using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace LwpWatch.Collectors.Capture;

/// <summary>One recorded poll: its number (from 1), its clock and its directory.</summary>
public sealed record BundlePoll(int Number, DateTimeOffset TakenAt, string Directory);

/// <summary>
/// Opens a capture bundle and checks its shape up front; every problem is a <see cref="BundleException"/> naming the
/// file. Every file of it is read through <see cref="BundleFiles"/>: confined to the bundle, bounded in bytes
/// and JSON depth. The first <see cref="BundleViolationException"/> any poll's reads meet is kept in
/// <see cref="Violation"/>, so a replay stops there even though the collector that met it only failed.
/// </summary>
public sealed class BundleReader
{
    /// <summary>No bundle holds more polls than this (a day of 1 s polls).</summary>
    public const int MaxPolls = 86_400;

    private BundleViolationException? _violation;

    private BundleReader(BundleFiles files, int version, string platform, string host, ImmutableArray<BundlePoll> polls)
    {
        Files = files;
        Root = files.Root;
        Version = version;
        Platform = platform;
        Host = host;
        Polls = polls;
    }

    public string Root { get; }

    public int Version { get; }

    /// <summary>"linux" or "illumos".</summary>
    public string Platform { get; }

    public string Host { get; }

    /// <summary>In order, oldest first.</summary>
    public ImmutableArray<BundlePoll> Polls { get; }

    /// <summary>The first refusal met while replaying (a path leaving the bundle, a FIFO, a file past its bound), or null.</summary>
    public BundleViolationException? Violation => Volatile.Read(ref _violation);

    internal BundleFiles Files { get; }

    public static BundleReader Open(string directory) => Open(directory, native: true);

    /// <summary>See <see cref="BundleFiles.Open(string, bool)"/>.</summary>
    internal static BundleReader Open(string directory, bool native)
    {
        var files = BundleFiles.Open(directory, native);
        try
        {
            return Open(files);
        }
        catch (BundleViolationException ex)
        {
            files.Dispose();
            throw new BundleViolationException($"{files.Root}: {ex.Message}");
        }
        catch (BundleException)
        {
            files.Dispose();
            throw;
        }
    }

    private static BundleReader Open(BundleFiles files)
    {
        var root = files.Root;
        if (files.KindOf(BundlePaths.BundleFile) != BundleFiles.Kind.File)
        {
            throw new BundleException($"{root}: not a capture bundle (no {BundlePaths.BundleFile})");
        }

        var bundleJson = Path.Join(root, BundlePaths.BundleFile);
        using var doc = Parse(files, BundlePaths.BundleFile, BundleFiles.MaxHeaderBytes, bundleJson);
        var r = doc.RootElement;
        var version = Int(r, "version", bundleJson);
        if (version != BundleWriter.Version)
        {
            throw new BundleException($"{bundleJson}: version {version} is not supported (this LwpWatch reads version {BundleWriter.Version})");
        }

        var platform = Str(r, "platform", bundleJson);
        if (platform is not ("linux" or "illumos"))
        {
            throw new BundleException($"{bundleJson}: platform must be linux or illumos, got '{platform}'");
        }

        var host = Str(r, "host", bundleJson);
        var count = Int(r, "polls", bundleJson);
        if (count < 1)
        {
            throw new BundleException($"{bundleJson}: the bundle has no polls");
        }

        // Checked against the directories before anything is sized by it: a bundle.json claiming 2^31 polls is a
        // one-line error, not an allocation.
        var present = files.List("polls", directoriesOnly: true)?.Count(n => n.Length == 4 && n.All(char.IsAsciiDigit)) ?? 0;
        if (count > present || count > MaxPolls)
        {
            throw new BundleException($"{bundleJson}: says {count} polls but {Path.Join(root, "polls")} holds {present} poll directories{(count > MaxPolls ? $" (and a bundle holds at most {MaxPolls})" : "")}");
        }

        var polls = ImmutableArray.CreateBuilder<BundlePoll>(count);
        for (var i = 1; i <= count; i++)
        {
            var rel = "polls/" + BundlePaths.PollDirectoryName(i);
            var dir = Path.Join(root, rel);
            var pollJson = Path.Join(dir, BundlePaths.PollFile);
            if (files.KindOf(rel + "/" + BundlePaths.PollFile) != BundleFiles.Kind.File)
            {
                throw new BundleException($"{root}: bundle.json says {count} polls but {pollJson} is missing");
            }

            using var p = Parse(files, rel + "/" + BundlePaths.PollFile, BundleFiles.MaxHeaderBytes, pollJson);
            var taken = Str(p.RootElement, "takenAt", pollJson);
            if (!DateTimeOffset.TryParse(taken, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var takenAt))
            {
                throw new BundleException($"{pollJson}: takenAt '{taken}' is not an ISO time");
            }

            if (polls.Count > 0 && takenAt < polls[^1].TakenAt)
            {
                throw new BundleException($"{pollJson}: takenAt {taken} is before the previous poll's");
            }

            polls.Add(new BundlePoll(i, takenAt, dir));
        }

        return new BundleReader(files, version, platform, host, polls.MoveToImmutable());
    }

    /// <summary>A host source that answers exactly as the node did during poll <paramref name="number"/>.</summary>
    public ReplayHostSource OpenPoll(int number) =>
        number >= 1 && number <= Polls.Length
            ? new ReplayHostSource(this, Polls[number - 1])
            : throw new BundleException($"{Root}: no poll {number} (the bundle has {Polls.Length})");

    /// <summary>Keeps the first refusal (see <see cref="Violation"/>) and hands it back to be thrown.</summary>
    internal BundleViolationException Report(BundleViolationException v)
    {
        Interlocked.CompareExchange(ref _violation, v, null);
        return v;
    }

    /// <summary>A JSON file of the bundle, read confined and bounded, parsed with a bounded depth; missing = a named error.</summary>
    internal static JsonDocument Parse(BundleFiles files, string relative, long maxBytes, string shown)
    {
        var bytes = files.ReadFile(relative, maxBytes) ?? throw new BundleException($"{shown} is missing");
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = BundleFiles.MaxJsonDepth });
        }
        catch (JsonException ex)
        {
            throw new BundleException($"{shown}: invalid JSON: {ex.Message}");
        }
    }

    internal static string Str(JsonElement e, string name, string file) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? Text(v, name, file)
            : throw new BundleException($"{file}: \"{name}\" must be a string");

    /// <summary>A JSON string's value; JsonDocument only checks UTF-8 inside strings when one is read (found by fuzzing).</summary>
    internal static string Text(JsonElement v, string name, string file)
    {
        try
        {
            return v.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new BundleException($"{file}: \"{name}\" is not valid UTF-8");
        }
    }

    internal static int Int(JsonElement e, string name, string file) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)
            ? i
            : throw new BundleException($"{file}: \"{name}\" must be an integer");
}
