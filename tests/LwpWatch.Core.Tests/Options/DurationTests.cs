using LwpWatch.Core.Options;

namespace LwpWatch.Core.Tests.Options;

public sealed class DurationTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("15s", 15_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2d", 172_800_000)]
    [InlineData("0", 0)]
    public void Parses(string text, long ms)
    {
        Assert.True(Duration.TryParse(text, out var t));
        Assert.Equal(ms, (long)t.TotalMilliseconds);
        Assert.True(Duration.TryParse(Duration.Format(t), out var back));
        Assert.Equal(t, back);
    }

    [Theory]
    [InlineData("")]
    [InlineData("15")]
    [InlineData("soon")]
    [InlineData("5 m")]
    [InlineData("-5s")]
    [InlineData("1y")]
    [InlineData("99999999999999999d")]
    public void Rejects(string text) => Assert.False(Duration.TryParse(text, out _));
}
