using System.Collections.Immutable;
using System.Text;

namespace LwpWatch.Core.Rules;

/// <summary>What applying a hint does.</summary>
public enum HintEffect
{
    /// <summary>Changes the running system now; gone at the next reboot/recreation (prctl, a pids.max write).</summary>
    Live,

    /// <summary>Changes the configuration so it survives a restart (vmadm update, systemctl set-property).</summary>
    Persistent,

    /// <summary>Only reads: where to look next (systemctl status, svcs -xv).</summary>
    ReadOnly,
}

/// <summary>Stable JSON spellings of <see cref="HintEffect"/>.</summary>
public static class HintEffects
{
    public static string WireName(this HintEffect effect) => effect switch
    {
        HintEffect.Live => "live",
        HintEffect.Persistent => "persistent",
        _ => "read-only",
    };

    public static HintEffect? Parse(string? wire) => wire switch
    {
        "live" => HintEffect.Live,
        "persistent" => HintEffect.Persistent,
        "read-only" => HintEffect.ReadOnly,
        _ => null,
    };
}

/// <summary>
/// One remediation command as data: its argv words and, for a write, the file the shell redirects its output into
/// (<c>argv &gt; target</c>). LwpWatch never runs it; every output prints <see cref="Render"/>, the one rendering,
/// which is safe to paste into a POSIX shell whatever the names in it (see <see cref="ShellQuote"/>).
/// </summary>
public sealed record Hint
{
    public required ImmutableArray<ShellWord> Argv { get; init; }

    /// <summary>The file written with <c>&gt;</c>, when the command's output is the change (echo N &gt; pids.max).</summary>
    public ShellWord? RedirectTo { get; init; }

    public required HintEffect Effect { get; init; }

    /// <summary>The rule whose finding this hint fixes or explains (a <see cref="RuleIds"/> value).</summary>
    public required string Rule { get; init; }

    /// <summary>The zone it acts on.</summary>
    public required string ZoneId { get; init; }

    /// <summary>The command line to paste: every word rendered by <see cref="ShellQuote"/>, then <c>&gt; target</c>.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        foreach (var w in Argv)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(w.Render());
        }

        if (RedirectTo is { } target)
        {
            sb.Append(" > ").Append(target.Render());
        }

        return sb.ToString();
    }

    public override string ToString() => Render();

    public bool Equals(Hint? other) =>
        other is not null && Argv.SequenceEqual(other.Argv) && RedirectTo == other.RedirectTo && Effect == other.Effect
        && Rule == other.Rule && ZoneId == other.ZoneId;

    public override int GetHashCode() => HashCode.Combine(Argv.Length, RedirectTo, Effect, Rule, ZoneId);

    /// <summary>A command run as is: the program and its words.</summary>
    public static Hint Command(string rule, string zoneId, HintEffect effect, params ShellWord[] argv) =>
        new() { Rule = rule, ZoneId = zoneId, Effect = effect, Argv = [.. argv] };

    /// <summary>A value written into a file by the shell: <c>echo value &gt; path</c>.</summary>
    public static Hint WriteFile(string rule, string zoneId, HintEffect effect, ShellWord path, ShellWord value)
    {
        // echo would take a word from outside that starts with '-' as its option: only our own words.
        if (value.Kind != ShellWordKind.Literal)
        {
            throw new ArgumentException("the value written must be a literal", nameof(value));
        }

        return new() { Rule = rule, ZoneId = zoneId, Effect = effect, Argv = [ShellWord.Literal("echo"), value], RedirectTo = path };
    }
}

/// <summary>Rendering helpers for lists of hints (every output goes through <see cref="Hint.Render"/>).</summary>
public static class Hints
{
    public static ImmutableArray<string> Render(this ImmutableArray<Hint> hints) =>
        hints.IsDefaultOrEmpty ? [] : [.. hints.Select(h => h.Render())];
}
