using System.Collections.Immutable;
using System.Text.Json;
using LwpWatch.Collectors.Io;

namespace LwpWatch.Collectors.Linux;

/// <summary>
/// The names of Docker containers, from Docker's own record of each one: &lt;dockerRoot&gt;/containers/&lt;id&gt;/config.v2.json,
/// the container object dockerd writes with encoding/json (moby/moby container/container.go at
/// 00cf1da48931ad1d13bc3b1cf3f606062bea65c2: configFileName "config.v2.json", field Name, e.g. "/web-1", written
/// 0600 by an atomic file writer). Read as a file (no docker CLI, no socket), only for capped zones whose cgroup is
/// Docker's own (<see cref="CgroupPathMapper"/>), re-read only when its mtime changes (docker rename rewrites it),
/// bounded in bytes, and cached for the containers seen in the last poll only. A file that cannot be read or
/// parsed is one warning per container and change; the zone is then named by its short id.
/// </summary>
internal sealed class DockerContainerNames(IHostSource io, string dockerRoot)
{
    private readonly IHostSource io = io;
    private readonly string dockerRoot = dockerRoot;

    /// <summary>config.v2.json holds the container's config (env, labels, mounts): far below this.</summary>
    internal const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>What was learnt about one container, valid while its file's mtime stays <paramref name="Mtime"/>.</summary>
    private sealed record Entry(DateTimeOffset? Mtime, string? Name);

    private Dictionary<string, Entry> cache = new(StringComparer.Ordinal);

    /// <summary>Starts a poll: only containers looked up from now on stay cached.</summary>
    public Poll Begin() => new(this);

    public sealed class Poll(DockerContainerNames owner)
    {
        private readonly Dictionary<string, Entry> previous = Volatile.Read(ref owner.cache);
        private readonly Dictionary<string, Entry> next = new(StringComparer.Ordinal);

        /// <summary>The container's name (without Docker's leading '/'), or null (warned once) when it cannot be read.</summary>
        public string? NameOf(string id, ImmutableArray<string>.Builder warnings)
        {
            if (next.TryGetValue(id, out var seen))
            {
                return seen.Name;
            }

            var path = owner.dockerRoot.TrimEnd('/') + "/containers/" + id + "/config.v2.json";
            DateTimeOffset? mtime = null;
            string? problem = null;
            try
            {
                mtime = owner.io.GetModifiedTime(path);
            }
            catch (IOException ex)
            {
                problem = ex.Message;
            }

            // Unchanged since it was last read (or last found missing): nothing to read, nothing new to say.
            if (previous.TryGetValue(id, out var known) && known.Mtime == mtime)
            {
                next[id] = known;
                return known.Name;
            }

            string? name = null;
            if (mtime is null)
            {
                problem ??= "missing, or not readable by this user";
            }
            else
            {
                try
                {
                    var bytes = owner.io.ReadBytes(path, MaxBytes + 1);
                    name = bytes is null ? null : bytes.Length > MaxBytes ? null : ParseName(bytes, out problem);
                    problem ??= bytes is null ? "missing" : bytes.Length > MaxBytes ? $"larger than {MaxBytes} bytes" : null;
                }
                catch (IOException ex)
                {
                    problem = ex.Message;
                }
            }

            next[id] = new Entry(mtime, name);
            if (name is null)
            {
                warnings.Add($"cgroup-pids: docker container {id[..Math.Min(12, id.Length)]}: its name is unknown ({path}: {problem}); named by its id");
            }

            return name;
        }

        /// <summary>Ends the poll: the cache now holds exactly the containers looked up in it.</summary>
        public void End() => Volatile.Write(ref owner.cache, next);
    }

    /// <summary>The "Name" member of the container object, without its leading '/'; null and a reason when there is none.</summary>
    internal static string? ParseName(byte[] json, out string? problem)
    {
        problem = null;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("Name", out var n) && n.ValueKind == JsonValueKind.String
                && n.GetString() is { Length: > 0 } name)
            {
                var trimmed = name.TrimStart('/');
                if (trimmed.Length > 0)
                {
                    return trimmed;
                }
            }

            problem = "no \"Name\" string in it";
        }
        catch (JsonException ex)
        {
            problem = "not valid JSON: " + ex.Message.Split('\n')[0];
        }
        catch (InvalidOperationException)
        {
            problem = "its \"Name\" is not valid UTF-8";
        }

        return null;
    }
}
