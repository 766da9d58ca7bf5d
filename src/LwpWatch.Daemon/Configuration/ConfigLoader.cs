using LwpWatch.Core.Options;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LwpWatch.Daemon.Configuration;

/// <summary>The outcome of loading a config: the options, or every error found (syntax, keys, types, ranges).</summary>
public sealed record ConfigResult(LwpWatchOptions Options, IReadOnlyList<string> Errors, string? Source)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>Reads YAML config files. No file = documented defaults.</summary>
public static class ConfigLoader
{
    /// <summary>Where `run` and `check` look when no --config is given; absence is fine (defaults).</summary>
    public const string DefaultPath = "/etc/lwpwatch/lwpwatch.yaml";

    public static ConfigResult LoadFile(string? path)
    {
        if (path is null)
        {
            return File.Exists(DefaultPath) ? LoadFile(DefaultPath) : new ConfigResult(new LwpWatchOptions(), [], null);
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ConfigResult(new LwpWatchOptions(), [$"{path}: cannot read: {ex.Message}"], path);
        }

        return LoadText(text, path);
    }

    public static ConfigResult LoadText(string yaml, string source = "<text>")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            return new ConfigResult(new LwpWatchOptions(), [$"{source}:{ex.Start.Line}:{ex.Start.Column}: YAML syntax error: {ex.InnerException?.Message ?? ex.Message}"], source);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // YamlDotNet reports some malformed input as these instead of YamlException (found by fuzzing: an
            // open mapping key before a dedent -> ArgumentException; a plain scalar cut by a stray character ->
            // InvalidOperationException from the scanner).
            return new ConfigResult(new LwpWatchOptions(), [$"{source}: YAML syntax error: {ex.Message}"], source);
        }

        var root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        var ctx = new BindContext();
        var options = OptionsSchema.Root.Bind(root, "", ctx, new LwpWatchOptions());
        var errors = ctx.Errors;
        // Range checks also run when some keys did not parse, so all mistakes show at once; a key that
        // already has a type error (it kept its default) is not reported again. Each points at its line.
        var typeErrors = errors.Count;
        foreach (var e in options.Validate())
        {
            if (!errors.Take(typeErrors).Any(x => x.StartsWith(e.Split(':')[0] + ":", StringComparison.Ordinal)))
            {
                errors.Add(e + ctx.PositionOf(e));
            }
        }

        return new ConfigResult(options, ConfigSecrets.Scrub(errors, root), source);
    }
}
