using LwpWatch.Core.Alerts;
using LwpWatch.Core.Options;
using LwpWatch.Daemon.Delivery.Notifiers;

namespace LwpWatch.Daemon.Delivery;

/// <summary>A configured receiver, ready to render: its settings (for the timeout) and its notifier (secrets already read).</summary>
public sealed record Receiver(string Name, ReceiverSettings Settings, INotifier Notifier)
{
    /// <summary>
    /// Builds every receiver; a missing secret or URL is a clear start-up error naming the receiver and
    /// where it looked, never the value.
    /// </summary>
    public static IReadOnlyDictionary<string, Receiver> BuildAll(IReadOnlyList<ReceiverSettings> receivers, AlertsSettings alerts, string externalUrl)
    {
        var d = new Dictionary<string, Receiver>(StringComparer.Ordinal);
        foreach (var r in receivers)
        {
            d[r.Name] = new Receiver(r.Name, r, Build(r, alerts, externalUrl));
        }

        return d;
    }

    public static INotifier Build(ReceiverSettings r, AlertsSettings alerts, string externalUrl)
    {
        var what = $"receiver {r.Name}";
        if (r.Urls.Count > 0)
        {
            // Config validation checked every member (urls[i]); a config that skipped it still cannot start half-built.
            var members = r.Urls.Select((u, i) => Uri.TryCreate(u, UriKind.Absolute, out var m) && (m.Scheme == Uri.UriSchemeHttp || m.Scheme == Uri.UriSchemeHttps) && m.UserInfo.Length == 0
                ? m
                : throw new InvalidOperationException($"{what}: urls[{i}] is not an absolute http(s) URL without credentials")).ToList();
            return r.Type == ReceiverSettings.Alertmanager
                ? new AlertmanagerNotifier(members, r.EffectiveRepeatInterval(alerts), externalUrl, BasicAuth(r, what))
                : throw new InvalidOperationException($"{what}: urls is only for type alertmanager");
        }

        var urlText = r.Url.Length > 0 ? r.Url : SecretSource.Read(r.UrlFile, r.UrlEnv, what + " url") ?? "";
        Uri? url = null;
        if (urlText.Length > 0 && (!Uri.TryCreate(urlText, UriKind.Absolute, out url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            // The text may be a credential (Slack): say where it came from, not what it is.
            throw new InvalidOperationException($"{what}: url is not an absolute http(s) URL");
        }

        if (url is not null && url.UserInfo.Length > 0)
        {
            // HttpClient never sends user-info; a URL from urlFile/urlEnv is not seen by config validation.
            throw new InvalidOperationException($"{what}: url must not carry credentials (user:password@); alertmanager: use username and secretFile/secretEnv");
        }

        switch (r.Type)
        {
            case ReceiverSettings.Alertmanager:
                return new AlertmanagerNotifier(url ?? throw Missing(what), r.EffectiveRepeatInterval(alerts), externalUrl, BasicAuth(r, what));
            case ReceiverSettings.Webhook:
                var secret = SecretSource.Read(r.SecretFile, r.SecretEnv, what + " hmac secret");
                return new WebhookNotifier(url ?? throw Missing(what), r.Name, externalUrl, secret is null ? null : System.Text.Encoding.UTF8.GetBytes(secret), r.SignatureHeader);
            case ReceiverSettings.Slack:
                return new SlackNotifier(url ?? throw Missing(what));
            case ReceiverSettings.PagerDuty:
                var key = SecretSource.Read(r.SecretFile, r.SecretEnv, what + " routing key") ?? throw new InvalidOperationException($"{what}: pagerduty needs secretFile or secretEnv");
                return new PagerDutyNotifier(url ?? PagerDutyNotifier.DefaultUrl, key);
            default:
                throw new InvalidOperationException($"{what}: unknown type '{r.Type}'");
        }
    }

    private static InvalidOperationException Missing(string what) => new($"{what}: url is required");

    /// <summary>
    /// "Basic base64(user:password)" (RFC 7617, UTF-8 as its charset parameter allows), or null without a username.
    /// Read once at start-up like every other secret; the value is only ever put in the request header.
    /// </summary>
    private static string? BasicAuth(ReceiverSettings r, string what)
    {
        if (r.Username.Length == 0)
        {
            return null;
        }

        var password = SecretSource.Read(r.SecretFile, r.SecretEnv, what + " basic-auth password")
            ?? throw new InvalidOperationException($"{what}: basic auth needs secretFile or secretEnv");
        return "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(r.Username + ":" + password));
    }
}
