using System.Text.RegularExpressions;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;

namespace LwpWatch.Core.Tests.Rules;

public sealed class RuleIdsTests
{
    [Fact]
    public void Every_registered_rule_has_its_id_in_RuleIds_and_each_id_a_rule() =>
        Assert.Equal(RuleIds.All, RuleFactory.Create(new RulesSettings()).Select(r => r.Name));

    /// <summary>
    /// No rule id spelled in src/ outside RuleIds.cs: code that compares a finding's rule against a literal breaks
    /// silently when a rule is renamed (issue 17). Any string literal holding an id as a word counts; comments do not.
    /// </summary>
    [Fact]
    public void No_rule_id_is_spelled_in_src_outside_RuleIds()
    {
        // The host-limits collector shares the rule's spelling but is a collector name (a different label).
        var allowed = new HashSet<string>(StringComparer.Ordinal) { "src/LwpWatch.Collectors/Linux/HostLimitsCollector.cs: public string Name => \"host-limits\";" };
        var ids = string.Join("|", RuleIds.All.Select(Regex.Escape));
        var literal = new Regex("\"(?:[^\"\\\\\\n]|\\\\.)*(?<![A-Za-z0-9-])(?:" + ids + ")(?![A-Za-z0-9-])(?:[^\"\\\\\\n]|\\\\.)*\"");
        var root = RepoRoot();
        var hits = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (rel.EndsWith("/Rules/RuleIds.cs", StringComparison.Ordinal) || rel.Contains("/obj/", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file))
            {
                var code = line.Trim();
                if (code.StartsWith("//", StringComparison.Ordinal) || !literal.IsMatch(code) || allowed.Contains($"{rel}: {code}"))
                {
                    continue;
                }

                hits.Add($"{rel}: {code}");
            }
        }

        Assert.True(hits.Count == 0, "rule ids spelled outside RuleIds (use the constants):\n" + string.Join("\n", hits));
    }

    [Fact]
    public void The_scan_finds_what_it_looks_for()
    {
        // The regex of the test above, checked on lines it must and must not flag (a scan that cannot fail proves nothing).
        var ids = string.Join("|", RuleIds.All.Select(Regex.Escape));
        var literal = new Regex("\"(?:[^\"\\\\\\n]|\\\\.)*(?<![A-Za-z0-9-])(?:" + ids + ")(?![A-Za-z0-9-])(?:[^\"\\\\\\n]|\\\\.)*\"");
        Assert.Matches(literal, "if (f.Rule == \"cap-starvation\")");
        Assert.Matches(literal, "\"near-cap\" => 0,");
        Assert.Matches(literal, "$\"see fork-denied for {x}\"");
        Assert.DoesNotMatch(literal, "f.Rule == RuleIds.CapStarvation");
        Assert.DoesNotMatch(literal, "\"lwpwatch-near-capacity\"");
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "LwpWatch.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("LwpWatch.sln not found");
    }
}
