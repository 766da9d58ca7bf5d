using LwpWatch.Core.Options;

namespace LwpWatch.Daemon.Delivery;

/// <summary>Exponential backoff with symmetric jitter; pure (the random draw is passed in) so it is testable.</summary>
public static class Backoff
{
    /// <param name="attempts">Failed attempts so far (1 after the first failure).</param>
    /// <param name="random01">A uniform draw in [0, 1).</param>
    public static TimeSpan Delay(int attempts, DeliverySettings s, double random01)
    {
        var exp = Math.Min(Math.Max(attempts, 1) - 1, 30);
        var baseMs = Math.Min(s.InitialBackoff.TotalMilliseconds * Math.Pow(2, exp), s.MaxBackoff.TotalMilliseconds);
        var factor = 1 + (s.Jitter * ((2 * random01) - 1));
        return TimeSpan.FromMilliseconds(Math.Max(1, baseMs * factor));
    }
}
