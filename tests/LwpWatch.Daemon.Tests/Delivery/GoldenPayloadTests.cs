using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LwpWatch.Core.Alerts;
using LwpWatch.Daemon.Delivery.Notifiers;
using Xunit;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// Every payload byte for byte against Fixtures/golden. Set LWPWATCH_UPDATE_GOLDEN=1 to rewrite the files
/// after an intended change (then review the diff).
/// </summary>
public sealed class GoldenPayloadTests
{
    private static readonly DateTimeOffset Now = Samples.T0.AddMinutes(5);

    public static TheoryData<string, string> Cases => new()
    {
        { "alertmanager-v2-firing.json", AlertNotification.Firing },
        { "alertmanager-v2-resolved.json", AlertNotification.Resolved },
        { "webhook-v4-firing.json", AlertNotification.Firing },
        { "webhook-v4-resolved.json", AlertNotification.Resolved },
        { "slack-firing.json", AlertNotification.Firing },
        { "slack-resolved.json", AlertNotification.Resolved },
        { "pagerduty-trigger.json", AlertNotification.Firing },
        { "pagerduty-resolve.json", AlertNotification.Resolved },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Payload_matches_golden_file(string file, string status)
    {
        INotifier notifier = file.Split('-')[0] switch
        {
            "alertmanager" => new AlertmanagerNotifier(new Uri("http://127.0.0.1:9093"), TimeSpan.FromMinutes(1), "http://127.0.0.1:9781/api/v1/alerts"),
            "webhook" => new WebhookNotifier(new Uri("http://127.0.0.1:8080/hook"), "ops-hook", "http://127.0.0.1:9781", null, "X-LwpWatch-Signature"),
            "slack" => new SlackNotifier(new Uri("https://hooks.slack.com/services/T0/B0/x")),
            _ => new PagerDutyNotifier(new Uri("http://127.0.0.1:8080/v2/enqueue"), "R0UTINGKEY0000000000000000000000"),
        };
        var body = notifier.Render(Samples.Notification("r", status), Now).Body;

        // Must be valid JSON whatever else.
        using (JsonDocument.Parse(body))
        {
        }

        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden", file);
        if (Environment.GetEnvironmentVariable("LWPWATCH_UPDATE_GOLDEN") == "1")
        {
            var src = Path.Combine(SourceDir(), "Fixtures", "golden", file);
            File.WriteAllText(src, body + "\n");
            return;
        }

        Assert.True(File.Exists(path), $"golden file {file} is missing (run with LWPWATCH_UPDATE_GOLDEN=1)");
        Assert.Equal(File.ReadAllText(path).TrimEnd('\n'), body);
    }

    [Fact]
    public void Alertmanager_firing_endsAt_is_ahead_by_four_repeat_intervals_and_resolved_carries_the_end()
    {
        var n = new AlertmanagerNotifier(new Uri("http://127.0.0.1:9093/"), TimeSpan.FromMinutes(1), "");
        Assert.Equal(new Uri("http://127.0.0.1:9093/api/v2/alerts"), n.Url);
        using var firing = JsonDocument.Parse(n.Render(Samples.Notification("am"), Now).Body);
        Assert.Equal("2026-11-22T01:11:03.456Z", firing.RootElement[0].GetProperty("endsAt").GetString());
        using var resolved = JsonDocument.Parse(n.Render(Samples.Notification("am", AlertNotification.Resolved), Now).Body);
        Assert.Equal("2026-11-22T01:09:03.456Z", resolved.RootElement[0].GetProperty("endsAt").GetString());
    }

    [Fact]
    public void Alertmanager_severity_change_ends_the_alert_under_its_old_severity_label()
    {
        var n = new AlertmanagerNotifier(new Uri("http://127.0.0.1:9093/"), TimeSpan.FromMinutes(1), "");
        var escalated = Samples.Notification("am") with { Reason = "severity", PreviousSeverity = LwpWatch.Core.Model.Severity.Warning };
        using var doc = JsonDocument.Parse(n.Render(escalated, Now).Body);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
        Assert.Equal("critical", doc.RootElement[0].GetProperty("labels").GetProperty("severity").GetString());
        Assert.Equal("warning", doc.RootElement[1].GetProperty("labels").GetProperty("severity").GetString());
        Assert.Equal("2026-11-22T01:07:03.456Z", doc.RootElement[1].GetProperty("endsAt").GetString());
    }

    [Fact]
    public void Webhook_signature_is_hmac_sha256_of_the_exact_body()
    {
        var key = Encoding.UTF8.GetBytes("s3cret");
        var n = new WebhookNotifier(new Uri("http://127.0.0.1:1/h"), "hook", "", key, "X-Sig");
        var req = n.Render(Samples.Notification("hook"), Now);
        var sig = req.Headers.Single(h => h.Key == "X-Sig").Value;
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(req.Body)));
        Assert.Equal(expected, sig);
        Assert.Equal("near-cap|/system.slice/web.service@2026-11-22T01:02:03.456Z#firing", req.Headers.Single(h => h.Key == "Idempotency-Key").Value);
    }

    private static string SourceDir([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetDirectoryName(Path.GetDirectoryName(file))!;
}
