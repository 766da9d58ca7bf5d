using System.Text.Json;
using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;
using LwpWatch.Core.Rules;
using LwpWatch.Core.Text;
using LwpWatch.Daemon.Cli;
using LwpWatch.Daemon.Delivery.Notifiers;
using LwpWatch.Daemon.Logging;
using LwpWatch.Daemon.Tests.Delivery;
using Serilog.Events;
using Serilog.Parsing;

namespace LwpWatch.Daemon.Tests.Text;

/// <summary>
/// Tenant-chosen names (cgroups, argv, zone aliases) with terminal controls, forged lines and C1 bytes reach
/// every text output escaped (TerminalText), and the JSON outputs keep them exactly while escaping them.
/// </summary>
public sealed class TextOutputEscapingTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 22, 1, 2, 3, TimeSpan.Zero);

    /// <summary>An OSC title change + BEL, a CR/LF that forges a finding line, a C1 CSI, DEL, a line separator.</summary>
    private const string Hostile = "a\u001b]0;owned\u0007\r\nCRITICAL fork-denied         forged\u009b2J\u007f\u2028z";

    private static bool IsControl(char c) => c is < ' ' or (>= '\u007f' and <= '\u009f') or '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    /// <summary>No raw control character but the line feeds the renderer itself wrote.</summary>
    private static void AssertOnlyOwnLineFeeds(string text) =>
        Assert.DoesNotContain(text, c => c != '\n' && IsControl(c));

    private static (RuleOutcome Outcome, RuleEngine Engine) Outcome(string name)
    {
        var engine = new RuleEngine([new ForkDeniedRule(new ForkDeniedSettings()), new NearCapRule(new NearCapSettings())], TimeSpan.FromMinutes(5));
        RuleOutcome? outcome = null;
        for (var i = 0; i < 2; i++)
        {
            outcome = engine.Evaluate(new Snapshot
            {
                TakenAt = T.AddSeconds(15 * i),
                Host = "h",
                Platform = "linux",
                Zones = [new Zone { Id = "/" + name, Kind = ZoneKind.Cgroup, Name = name, Lwps = 40, LwpLimit = 40, Denials = 61 + i, CgroupPath = "/sys/fs/cgroup/pids/" + name }],
                TopHolders = [new ThreadHolder("/" + name, 4242, name, name + " --flag\n  pid 1        999 LWPs  init: forged", 39)],
                Warnings = ["cgroup /" + name + ": unreadable"],
            });
        }

        return (outcome!, engine);
    }

    [Fact]
    public void TheCheckTableAndItsFixLinesCarryNoRawControlAndNoForgedLine()
    {
        var hostile = CheckTable.Write(Outcome(Hostile).Outcome, all: true);
        var benign = CheckTable.Write(Outcome("benign").Outcome, all: true);
        AssertOnlyOwnLineFeeds(hostile);
        Assert.Contains("\\033]0;owned\\a\\r\\nCRITICAL", hostile, StringComparison.Ordinal);
        Assert.Contains("forged\\302\\2332J\\177\\342\\200\\250z", hostile, StringComparison.Ordinal);
        // Same lines as with a benign name: nothing was added, nothing split.
        Assert.Equal(benign.Split('\n').Length, hostile.Split('\n').Length);
        Assert.Single(hostile.Split('\n'), l => l.StartsWith("CRITICAL fork-denied", StringComparison.Ordinal));
        Assert.Contains(hostile.Split('\n'), l => l.StartsWith("         fix: ", StringComparison.Ordinal) && l.Contains("\\033", StringComparison.Ordinal));
    }

    [Fact]
    public void ExplainTextShowsAHolderArgvWithANewlineOnItsOwnLine()
    {
        var (outcome, engine) = Outcome(Hostile);
        var report = Assert.Single(ExplainReport.Build("/" + Hostile, outcome, engine.LastContext!, new CapStarvationSettings()));
        var text = report.Text();
        AssertOnlyOwnLineFeeds(text);
        var lines = text.Split('\n');
        var holders = lines.SkipWhile(l => l != "Top thread holders:").Skip(1).TakeWhile(l => l.Length > 0).ToList();
        var holder = Assert.Single(holders);
        Assert.StartsWith("  pid 4242 ", holder, StringComparison.Ordinal);
        Assert.EndsWith("--flag\\n  pid 1        999 LWPs  init: forged", holder, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith("  pid 1 ", StringComparison.Ordinal));
        Assert.StartsWith("Zone /a\\033]0;owned\\a\\r\\n", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void JsonOutputsKeepTheExactNameAndEscapeEveryControlCharacter()
    {
        var (outcome, engine) = Outcome(Hostile);
        var check = CheckJson.Write(outcome);
        var explain = ExplainCommand.Render(ExplainReport.Build("/" + Hostile, outcome, engine.LastContext!, new CapStarvationSettings()), "json");
        var api = LwpWatch.Daemon.Http.ApiJson.Zones(outcome);
        foreach (var json in new[] { check, explain, api })
        {
            // Raw, JSON forbids only U+0000..U+001F; DEL and C1 are escaped too, so `curl | less` and a terminal are safe.
            Assert.DoesNotContain(json, c => c != '\n' && IsControl(c));
            Assert.Contains("\\u001B]0;owned\\u0007\\r\\n", json, StringComparison.OrdinalIgnoreCase);
        }

        using var doc = JsonDocument.Parse(check);
        Assert.Equal("/" + Hostile, doc.RootElement.GetProperty("zones")[0].GetProperty("id").GetString());
        using var ex = JsonDocument.Parse(explain);
        Assert.Equal(Hostile, ex.RootElement.GetProperty("zones")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void TheTextLogLineIsOneLineAndAnExceptionCannotForgeALogLine()
    {
        var e = new LogEvent(
            T,
            LogEventLevel.Warning,
            new IOException("cannot read /" + Hostile + "\n12:00:00 INF forged"),
            new MessageTemplateParser().Parse("Collector {Collector} failed on {Cgroup} ({Hints})"),
            [
                new LogEventProperty("Collector", new ScalarValue("cgroup")),
                new LogEventProperty("Cgroup", new ScalarValue("/" + Hostile)),
                new LogEventProperty("Hints", new SequenceValue([new ScalarValue("echo 1 > /" + Hostile)])),
            ]);
        using var w = new StringWriter();
        new TextLogFormatter().Format(e, w);
        var text = w.ToString();
        AssertOnlyOwnLineFeeds(text);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^\d\d:\d\d:\d\d WRN Collector cgroup failed on /a\\033\]0;owned\\a\\r\\nCRITICAL", lines[0]);
        Assert.DoesNotContain('\r', text);
        // Every other line is the exception, indented: none starts like a log event; its message is one line.
        Assert.True(lines.Length > 1);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("    ", l, StringComparison.Ordinal));
        Assert.StartsWith("    System.IO.IOException: cannot read /a\\033]0;owned\\a\\r\\nCRITICAL", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("\\n12:00:00 INF forged", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void AnInnerExceptionFollowsItsOuterOneEscapedToo()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("poll failed", new IOException("in\nner\u001b"));
        }
        catch (InvalidOperationException ex)
        {
            thrown = ex;
        }

        using var w = new StringWriter();
        new TextLogFormatter().Format(new LogEvent(T, LogEventLevel.Error, thrown, new MessageTemplateParser().Parse("Poll failed"), []), w);
        var lines = w.ToString().TrimEnd('\n').Split('\n');
        Assert.EndsWith(" ERR Poll failed", lines[0], StringComparison.Ordinal);
        Assert.Equal("    System.InvalidOperationException: poll failed", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("    at ", StringComparison.Ordinal) && l.Contains(nameof(AnInnerExceptionFollowsItsOuterOneEscapedToo), StringComparison.Ordinal));
        Assert.Equal("    ---> System.IO.IOException: in\\nner\\033", lines[^1]);
    }

    [Fact]
    public void TheCompactJsonLogLineEscapesEveryControlCharacter()
    {
        var e = new LogEvent(T, LogEventLevel.Warning, null, new MessageTemplateParser().Parse("on {Cgroup}"), [new LogEventProperty("Cgroup", new ScalarValue(Hostile))]);
        using var w = new StringWriter();
        LoggingSetup.JsonFormatter.Format(e, w);
        var line = w.ToString();
        Assert.Single(line.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain(line, c => c != '\n' && IsControl(c));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(Hostile, doc.RootElement.GetProperty("Cgroup").GetString());
    }

    [Fact]
    public void SlackTextEscapesControlsAndTheThreeCharactersSlackReserves()
    {
        static string Text(string name, string summary)
        {
            var alert = Samples.Alert() with
            {
                ZoneId = "/" + name,
                Summary = summary + name,
                Hints = [Hint.WriteFile(RuleIds.NearCap, "/" + name, HintEffect.Live, ShellWord.CgroupPath("/sys/fs/cgroup/pids/" + name + "/pids.max"), ShellWord.Number(40))],
            };
            var n = Samples.Notification("slack") with { Alert = alert };
            using var doc = JsonDocument.Parse(new SlackNotifier(new Uri("https://hooks.slack.com/services/T0/B0/x")).Render(n, T).Body);
            return doc.RootElement.GetProperty("text").GetString()!;
        }

        var text = Text(Hostile, "x<!channel>&<@U024BE7LH>");
        AssertOnlyOwnLineFeeds(text);
        Assert.Contains("x&lt;!channel&gt;&amp;&lt;@U024BE7LH&gt;a\\033]0;owned\\a\\r\\nCRITICAL", text, StringComparison.Ordinal);
        // The only '<' left is the runbook link the notifier itself writes.
        Assert.Equal(1, text.Count(c => c == '<'));
        Assert.Contains("\n<https://runbooks.example.org/lwpwatch#near-cap|Runbook>", text, StringComparison.Ordinal);
        Assert.Equal(Text("benign", "x").Split('\n').Length, text.Split('\n').Length);
    }

    [Fact]
    public void OneEscapingFunctionIsUsed() =>
        // Slack's escaping starts with the terminal escaping, so both agree on every control character.
        Assert.Equal(TerminalText.Escape(Hostile), SlackNotifier.Escape(Hostile));
}
