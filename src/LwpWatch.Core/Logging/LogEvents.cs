namespace LwpWatch.Core.Logging;

/// <summary>Stable event ids, so log queries survive message rewording.</summary>
public static class LogEvents
{
    public const int PollCompleted = 1000;
    public const int PollSlow = 1001;
    public const int CollectorFailed = 1010;
    public const int RuleFailed = 1020;
    public const int FindingFired = 1100;
    public const int FindingResolved = 1101;
    public const int NotificationSent = 1200;
    public const int NotificationFailed = 1201;
    public const int NotificationDropped = 1202;
    public const int ConfigInvalid = 1300;
    public const int ConfigReloaded = 1301;
    public const int HttpListening = 1400;
    public const int LogEventsDropped = 1500;
}
