namespace LwpWatch.Core.Options;

/// <summary>
/// The whole configuration; mirrors config/lwpwatch.yaml key for key (camelCase there, PascalCase here).
/// Defaults here are the documented defaults.
/// </summary>
public sealed record LwpWatchOptions
{
    public PollSettings Poll { get; init; } = new();

    public HttpSettings Http { get; init; } = new();

    public LinuxSettings Linux { get; init; } = new();

    public IllumosSettings Illumos { get; init; } = new();

    public RulesSettings Rules { get; init; } = new();

    public LoggingSettings Logging { get; init; } = new();

    public StateSettings State { get; init; } = new();

    public EvidenceSettings Evidence { get; init; } = new();

    public AlertsSettings Alerts { get; init; } = new();

    /// <summary>Named notification destinations; none = alerts are tracked and listed but sent nowhere.</summary>
    public IReadOnlyList<ReceiverSettings> Receivers { get; init; } = [];

    public DeliverySettings Delivery { get; init; } = new();

    /// <summary>Every semantic problem at once, each prefixed with its key path.</summary>
    public IReadOnlyList<string> Validate() =>
    [
        .. Poll.Validate("poll"),
        .. Http.Validate("http"),
        .. Linux.Validate("linux"),
        .. Illumos.Validate("illumos"),
        .. Rules.Validate("rules"),
        .. Logging.Validate("logging"),
        .. State.Validate("state"),
        .. Evidence.Validate("evidence"),
        .. Alerts.Validate("alerts", Receivers),
        .. ReceiverList.Validate("receivers", Receivers),
        .. Delivery.Validate("delivery"),
    ];
}
