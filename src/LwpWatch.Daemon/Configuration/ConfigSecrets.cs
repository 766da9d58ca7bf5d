using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace LwpWatch.Daemon.Configuration;

/// <summary>
/// Config errors quote the value they could not use ("poll.interval: expected a duration ..., got 'fast'"). Under
/// <c>receivers</c> and <c>http</c>, and at any key whose name says it holds a secret, that value may be a
/// credential typed into the wrong key or with the wrong type (a Slack URL pasted into <c>timeout:</c>, a token
/// as <c>receivers:</c> itself): there the quoted value is replaced by its length. Applied to every error of a
/// load (binding and validation alike), whatever message produced it, so no new message can bring the echo back.
/// </summary>
internal static class ConfigSecrets
{
    private static readonly string[] SecretWords = ["secret", "token", "password", "passwd", "credential", "auth", "key", "url"];

    /// <summary>Whether a value at <paramref name="path"/> (as the binder writes paths: a.b[0].c) may be a secret.</summary>
    public static bool IsSecretBearing(string path)
    {
        if (path is "receivers" or "http" || path.StartsWith("receivers[", StringComparison.Ordinal) || path.StartsWith("receivers.", StringComparison.Ordinal) || path.StartsWith("http.", StringComparison.Ordinal))
        {
            return true;
        }

        var last = path[(path.LastIndexOf('.') + 1)..];
        return SecretWords.Any(w => last.Contains(w, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary><paramref name="errors"/> with every quoted value of a secret-bearing key replaced by its length.</summary>
    public static List<string> Scrub(IEnumerable<string> errors, YamlNode? root)
    {
        var values = new List<(string Path, string Value)>();
        Collect(root, "", values);
        // Longest first, so a value that contains another is replaced whole.
        values.Sort((a, b) => b.Value.Length.CompareTo(a.Value.Length));
        var result = new List<string>();
        foreach (var e in errors)
        {
            var colon = e.IndexOf(": ", StringComparison.Ordinal);
            var path = colon < 0 ? "" : e[..colon];
            if (colon < 0 || !IsSecretBearing(path))
            {
                result.Add(e);
                continue;
            }

            var message = e[colon..];
            foreach (var (p, v) in values)
            {
                if (p == path || p.StartsWith(path + ".", StringComparison.Ordinal) || p.StartsWith(path + "[", StringComparison.Ordinal))
                {
                    message = message.Replace("'" + v + "'", string.Create(CultureInfo.InvariantCulture, $"a value of {v.Length} characters (not shown: this key may hold a secret)"), StringComparison.Ordinal);
                }
            }

            result.Add(path + message);
        }

        return result;
    }

    private static void Collect(YamlNode? node, string path, List<(string, string)> into)
    {
        switch (node)
        {
            case YamlScalarNode { Value: { Length: > 0 } v }:
                into.Add((path, v));
                break;
            case YamlSequenceNode seq:
                var i = 0;
                foreach (var child in seq.Children)
                {
                    Collect(child, $"{path}[{i++}]", into);
                }

                break;
            case YamlMappingNode map:
                foreach (var (k, child) in map.Children)
                {
                    var key = (k as YamlScalarNode)?.Value ?? "";
                    Collect(child, path.Length == 0 ? key : $"{path}.{key}", into);
                }

                break;
        }
    }
}
