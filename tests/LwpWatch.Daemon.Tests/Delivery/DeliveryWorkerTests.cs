using LwpWatch.Core.Alerts;
using LwpWatch.Core.Model;
using LwpWatch.Core.Options;
using LwpWatch.Core.Rules;
using NSubstitute;

namespace LwpWatch.Daemon.Tests.Delivery;

/// <summary>
/// Which notifier calls the worker makes, watched with NSubstitute around each receiver's real notifier (the
/// request still goes to a real HTTP receiver on 127.0.0.1).
/// </summary>
public sealed class DeliveryWorkerTests
{
    private static Finding F(string rule, Severity severity, string? service = null) => new()
    {
        Rule = rule,
        ZoneId = "z1",
        Service = service,
        Severity = severity,
        Since = DateTimeOffset.UtcNow.AddMinutes(-5),
        Summary = $"{rule} in z1",
        Hints = [Hint.Command(rule, "z1", HintEffect.ReadOnly, ShellWord.Literal("true"))],
    };

    [Fact]
    public async Task An_inhibited_symptom_is_never_rendered_for_a_native_receiver_its_root_cause_is_once()
    {
        await using var rx = new TestReceiver();
        await rx.StartAsync();
        INotifier? watched = null;
        var hook = new ReceiverSettings { Name = "hook", Type = ReceiverSettings.Webhook, Url = rx.Url.AbsoluteUri };
        await using var h = new DeliveryHarness([hook], notifier: real =>
        {
            var n = Substitute.For<INotifier>();
            n.Type.Returns(real.Type);
            n.Render(Arg.Any<AlertNotification>(), Arg.Any<DateTimeOffset>()).Returns(c => real.Render(c.Arg<AlertNotification>(), c.Arg<DateTimeOffset>()));
            watched = n;
            return n;
        });
        await h.StartAsync();

        // cap-starvation is the zone's root cause; service-stuck in the same zone is its symptom.
        var cap = F(RuleIds.CapStarvation, Severity.Critical);
        var stuck = F(RuleIds.ServiceStuck, Severity.Warning, service: "svc:/site/app:default");
        for (var i = 0; i < 5; i++)
        {
            h.Poll([cap, stuck]);
            await Task.Delay(50);
        }

        await rx.WaitForAsync(r => r.Accepted.Count >= 1, TimeSpan.FromSeconds(20), "the incident's page");
        await h.WaitAsync(() => h.Metrics.Depth == 0, TimeSpan.FromSeconds(10), "empty outbox");

        var notifier = watched!;
        notifier.Received(1).Render(Arg.Is<AlertNotification>(n => n.Alert.Fingerprint == cap.Fingerprint && n.Status == AlertNotification.Firing), Arg.Any<DateTimeOffset>());
        notifier.DidNotReceive().Render(Arg.Is<AlertNotification>(n => n.Alert.Fingerprint == stuck.Fingerprint), Arg.Any<DateTimeOffset>());
        Assert.Single(rx.Accepted);
        Assert.Contains(stuck.Summary, rx.Accepted[0].Body, StringComparison.Ordinal);
    }
}
