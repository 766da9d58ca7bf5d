using System.Globalization;
using LwpWatch.Core.Model;
using LwpWatch.Core.Output;

namespace LwpWatch.Core.Tests.Output;

/// <summary>The four forms are contracts (check/API, payloads and the outbox's idempotency key, bundles): pinned to the byte.</summary>
public sealed class TimestampsTests
{
    // 01:02:03.4567891 at +02:00, i.e. 23:02:03.4567891 UTC the day before: every form must convert to UTC.
    private static readonly DateTimeOffset T = new DateTimeOffset(2026, 11, 22, 1, 2, 3, TimeSpan.FromHours(2)).AddTicks(4_567_891);

    [Fact]
    public void Every_form_is_utc_at_its_precision()
    {
        Assert.Equal("2026-11-21T23:02:03Z", Timestamps.Seconds(T));
        Assert.Equal("2026-11-21T23:02:03.456Z", Timestamps.Millis(T));
        Assert.Equal("2026-11-21T23:02:03.4567891Z", Timestamps.Ticks(T));
        Assert.Equal("20261121T230203Z", Timestamps.Basic(T));
    }

    [Fact]
    public void Ticks_is_the_round_trip_form_and_parses_back_exactly()
    {
        // /api/v1/alerts wrote "O" of the UTC time before the forms were one module: the same bytes.
        Assert.Equal(T.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), Timestamps.Ticks(T));
        Assert.Equal(T, DateTimeOffset.Parse(Timestamps.Ticks(T), CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Severity_and_status_names()
    {
        Assert.Equal(["info", "warning", "critical"], new[] { Severity.Info, Severity.Warning, Severity.Critical }.Select(OutputNames.Severity));
        Assert.Equal(["ok", "warning", "critical", "unknown"], new[] { CheckStatus.Ok, CheckStatus.Warning, CheckStatus.Critical, CheckStatus.Unknown }.Select(OutputNames.Status));
    }
}
