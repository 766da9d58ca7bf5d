using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LwpWatch.Collectors.Io;
using LwpWatch.Core.Options;
using LwpWatch.Core.Output;

namespace LwpWatch.Daemon.Evidence;

/// <summary>
/// The evidence spool: one JSON file per bundle under &lt;state.dir&gt;/evidence, written atomically (temp + rename),
/// pruned to evidence.maxBundles (oldest poll time first) and evidence.maxAge (by write time) after every write. Ids sort by time and are validated on
/// read, so /api/v1/evidence/&lt;id&gt; can never name a path outside the spool.
/// </summary>
public sealed partial class EvidenceStore(string stateDir, EvidenceSettings settings, TimeProvider clock)
{
    public string Dir { get; } = Path.Combine(stateDir, "evidence");

    /// <summary>
    /// The bundle id of a finding first seen at <paramref name="at"/>: its UTC second (ids sort by time), the rule, and 40
    /// bits of a hash of the fingerprint, the poll's millisecond and <paramref name="salt"/> telling apart the incidents
    /// that start in one poll. The hash only disambiguates, it guarantees nothing: <see cref="EvidenceRecorder"/> salts
    /// again when a tenant's cgroup name makes two live incidents hash alike. FNV-1a, not SHA-256: the daemon's only
    /// other use of OpenSSL is opt-in (webhook HMAC, API token, HTTPS receivers), and loading libcrypto just for ids
    /// cost every node 3.4 MB of resident memory (bench/RESULTS.md).
    /// </summary>
    public static string NewId(DateTimeOffset at, string rule, string fingerprint, int salt = 0)
    {
        var input = string.Create(CultureInfo.InvariantCulture, $"{fingerprint}|{at.ToUnixTimeMilliseconds()}|{salt}");
        var safeRule = SafeRule().Replace(rule.ToLowerInvariant(), "-");
        return string.Create(CultureInfo.InvariantCulture, $"{Timestamps.Basic(at)}-{safeRule}-{Fnv1a(Encoding.UTF8.GetBytes(input)) >> 24:x10}");
    }

    // FNV-1a, 64-bit (offset basis and prime from the FNV reference, draft-eastlake-fnv); the top 40 bits go in the id.
    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var h = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }

    public static bool IsValidId(string id) => id.Length <= 96 && IdPattern().IsMatch(id);

    public void Save(string id, byte[] json)
    {
        if (!IsValidId(id))
        {
            throw new ArgumentException($"invalid evidence id '{id}'", nameof(id));
        }

        // 0750/0640: a bundle holds tenants' command lines and logs (PrivateFiles).
        PrivateFiles.CreateDirectory(Dir);
        var final = Path.Combine(Dir, id + ".json");
        var tmp = final + ".tmp";
        PrivateFiles.WriteAllBytes(tmp, json);
        File.Move(tmp, final, overwrite: true);
        Prune();
    }

    public string? TryRead(string id)
    {
        if (!IsValidId(id))
        {
            return null;
        }

        var path = Path.Combine(Dir, id + ".json");
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public IReadOnlyList<string> List()
    {
        if (!Directory.Exists(Dir))
        {
            return [];
        }

        var ids = new List<string>();
        foreach (var f in Directory.EnumerateFiles(Dir, "*.json"))
        {
            var id = Path.GetFileNameWithoutExtension(f);
            if (IsValidId(id))
            {
                ids.Add(id);
            }
        }

        ids.Sort(StringComparer.Ordinal); // ids start with their UTC time: oldest first
        return ids;
    }

    private void Prune()
    {
        var ids = List();
        var cutoff = clock.GetUtcNow() - settings.MaxAge;
        var excess = ids.Count - settings.MaxBundles;
        for (var i = 0; i < ids.Count; i++)
        {
            var tooMany = i < excess;
            // Age by when the bundle was written, not by the id's poll time: a replayed bundle carries a recorded
            // (old) poll time but was just written.
            var tooOld = File.GetLastWriteTimeUtc(Path.Combine(Dir, ids[i] + ".json")) < cutoff.UtcDateTime;
            if (tooMany || tooOld)
            {
                File.Delete(Path.Combine(Dir, ids[i] + ".json"));
            }
        }

        foreach (var stale in Directory.EnumerateFiles(Dir, "*.json.tmp"))
        {
            // A crash between write and rename leaves these; nothing reads them.
            File.Delete(stale);
        }
    }

    // \z, not $: in .NET `$` also matches before a final newline, so "<id>\n" passed (issue 13).
    [GeneratedRegex(@"^[0-9]{8}T[0-9]{6}Z-[a-z0-9-]{1,40}-[0-9a-f]{10}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"[^a-z0-9-]+", RegexOptions.CultureInvariant)]
    private static partial Regex SafeRule();
}
