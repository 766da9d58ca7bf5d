using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace LwpWatch.Collectors.Capture;

/// <summary>One recorded poll: its number (from 1), its clock and its directory.</summary>
public sealed record BundlePoll(int Number, DateTimeOffset TakenAt, string Directory);

/// <summary>Opens a capture bundle and checks its shape up front; every problem is a <see cref="BundleException"/> naming the file.</summary>
public sealed class BundleReader
{
    private BundleReader(string root, int version, string platform, string host, ImmutableArray<BundlePoll> polls)
    {
        Root = root;
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

    public static BundleReader Open(string directory)
    {
        var root = Path.GetFullPath(directory);
        var bundleJson = Path.Join(root, BundlePaths.BundleFile);
        if (!File.Exists(bundleJson))
        {
            throw new BundleException($"{root}: not a capture bundle (no {BundlePaths.BundleFile})");
        }

        using var doc = Parse(bundleJson);
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

        var polls = ImmutableArray.CreateBuilder<BundlePoll>(count);
        for (var i = 1; i <= count; i++)
        {
            var dir = Path.Join(root, "polls", BundlePaths.PollDirectoryName(i));
            var pollJson = Path.Join(dir, BundlePaths.PollFile);
            if (!File.Exists(pollJson))
            {
                throw new BundleException($"{root}: bundle.json says {count} polls but {pollJson} is missing");
            }

            using var p = Parse(pollJson);
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

        return new BundleReader(root, version, platform, host, polls.MoveToImmutable());
    }

    /// <summary>A host source that answers exactly as the node did during poll <paramref name="number"/>.</summary>
    public ReplayHostSource OpenPoll(int number) =>
        number >= 1 && number <= Polls.Length
            ? new ReplayHostSource(Root, Polls[number - 1])
            : throw new BundleException($"{Root}: no poll {number} (the bundle has {Polls.Length})");

    internal static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new BundleException($"{path}: invalid JSON: {ex.Message}");
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
