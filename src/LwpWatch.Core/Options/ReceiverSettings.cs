using System.Text;

namespace LwpWatch.Core.Options;

/// <summary>
/// receivers[]: one named destination. Secrets (webhook HMAC key, PagerDuty routing key, Alertmanager basic-auth
/// password, Slack URL) are read from a file or an environment variable, never written in the config, and never
/// printed: <see cref="ToString"/> redacts them so a config dump cannot leak one.
/// </summary>
public sealed record ReceiverSettings
{
    public const string Alertmanager = "alertmanager";
    public const string Webhook = "webhook";
    public const string Slack = "slack";
    public const string PagerDuty = "pagerduty";

    public string Name { get; init; } = "";

    /// <summary>alertmanager, webhook, slack or pagerduty.</summary>
    public string Type { get; init; } = "";

    /// <summary>
    /// alertmanager: base URL (…/api/v2/alerts is appended); webhook: full URL; slack: not allowed here (the
    /// incoming-webhook URL is a credential: urlFile/urlEnv only); pagerduty: events endpoint (default
    /// https://events.pagerduty.com/v2/enqueue). Never with user-info (user:password@): HttpClient does not send it.
    /// </summary>
    public string Url { get; init; } = "";

    /// <summary>
    /// alertmanager only: the base URLs of every member of an Alertmanager cluster (HA pair). Each alert is pushed
    /// to every member, as Prometheus does (its alerting.alertmanagers lists every member): Alertmanager does not
    /// gossip alerts, only the notification log and silences, so a member that is not sent an alert cannot
    /// notify for it when its peer dies. Instead of <see cref="Url"/>, never with it.
    /// </summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>Read the URL from this file instead (Slack webhook URLs are credentials).</summary>
    public string UrlFile { get; init; } = "";

    /// <summary>Read the URL from this environment variable instead.</summary>
    public string UrlEnv { get; init; } = "";

    /// <summary>webhook: HMAC-SHA256 key file; pagerduty: routing (integration) key file; alertmanager: basic-auth password file.</summary>
    public string SecretFile { get; init; } = "";

    /// <summary>webhook: HMAC-SHA256 key variable; pagerduty: routing key variable; alertmanager: basic-auth password variable.</summary>
    public string SecretEnv { get; init; } = "";

    /// <summary>alertmanager: basic-auth user name (the password comes from secretFile/secretEnv), as Prometheus's basic_auth.</summary>
    public string Username { get; init; } = "";

    /// <summary>webhook: header carrying "sha256=&lt;hex of HMAC-SHA256(body)&gt;".</summary>
    public string SignatureHeader { get; init; } = "X-LwpWatch-Signature";

    /// <summary>Bound on one delivery attempt (connect + send + response).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Re-notify interval for this receiver; null = alerts.repeatInterval (alertmanager: 1m, so its alerts never time out there).</summary>
    public TimeSpan? RepeatInterval { get; init; }

    public bool SendResolved { get; init; } = true;

    public static readonly IReadOnlyList<string> Types = [Alertmanager, Webhook, Slack, PagerDuty];

    /// <summary>Bound on <see cref="Urls"/>: every member is sent every notification, in parallel.</summary>
    public const int MaxMembers = 16;

    public TimeSpan EffectiveRepeatInterval(AlertsSettings alerts) =>
        RepeatInterval ?? (Type == Alertmanager ? TimeSpan.FromMinutes(1) : alerts.RepeatInterval);

    public IEnumerable<string> Validate(string path)
    {
        if (!RouteSettings.IsLabelName(Name.Replace('-', '_')))
        {
            yield return $"{path}.name: must be a simple name (letters, digits, '-', '_'), got '{Name}'";
        }

        if (!Types.Contains(Type, StringComparer.Ordinal))
        {
            yield return $"{path}.type: must be one of {string.Join(", ", Types)}, got '{Type}'";
        }

        var urlSources = (Url.Length > 0 ? 1 : 0) + (UrlFile.Length > 0 ? 1 : 0) + (UrlEnv.Length > 0 ? 1 : 0) + (Urls.Count > 0 ? 1 : 0);
        if (Urls.Count > 0 && Type != Alertmanager)
        {
            yield return $"{path}.urls: only for type alertmanager (the members of one Alertmanager cluster); use url";
        }
        else if (urlSources > 1)
        {
            yield return Urls.Count > 0 ? $"{path}.urls: set only one of url, urls, urlFile, urlEnv" : $"{path}.url: set only one of url, urlFile, urlEnv";
        }
        else if (Urls.Count > 0)
        {
            foreach (var problem in ValidateMembers(path))
            {
                yield return problem;
            }
        }
        else if (urlSources == 0 && Type != PagerDuty)
        {
            yield return $"{path}.url: required for type {Type} (or {(Type == Alertmanager ? "urls, " : "")}urlFile/urlEnv)";
        }
        else if (Url.Length > 0 && Type == Slack)
        {
            // The URL is the credential (anyone holding it can post): as the docs say, file or environment only.
            yield return $"{path}.url: a Slack webhook URL is a credential: put it in urlFile or urlEnv, not in the config";
        }
        else if (Url.Length > 0 && (!Uri.TryCreate(Url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)))
        {
            yield return $"{path}.url: must be an absolute http(s) URL";
        }
        else if (Url.Length > 0 && HasUserInfo(Url))
        {
            yield return $"{path}.url: must not carry credentials (user:password@), which are never sent; alertmanager: use username and secretFile/secretEnv";
        }

        if (SecretFile.Length > 0 && SecretEnv.Length > 0)
        {
            yield return $"{path}.secretFile: set only one of secretFile, secretEnv";
        }

        if (Type == PagerDuty && SecretFile.Length == 0 && SecretEnv.Length == 0)
        {
            yield return $"{path}.secretFile: pagerduty needs its routing key in secretFile or secretEnv";
        }

        if (Type == Slack && (SecretFile.Length > 0 || SecretEnv.Length > 0))
        {
            yield return $"{path}.secretFile: not used by type {Type}";
        }

        if (Type == Alertmanager && (SecretFile.Length > 0 || SecretEnv.Length > 0) != (Username.Length > 0))
        {
            yield return Username.Length > 0
                ? $"{path}.secretFile: basic auth needs the password in secretFile or secretEnv"
                : $"{path}.username: basic auth needs a username with the password of secretFile/secretEnv";
        }

        if (Username.Length > 0 && Type != Alertmanager)
        {
            yield return $"{path}.username: not used by type {Type}";
        }

        if (Username.Contains(':', StringComparison.Ordinal) || Username.Any(char.IsControl))
        {
            // RFC 7617: the user-id of Basic cannot contain a colon (or control characters).
            yield return $"{path}.username: must not contain ':' or control characters";
        }

        if (string.IsNullOrWhiteSpace(SignatureHeader))
        {
            yield return $"{path}.signatureHeader: must not be empty";
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{path}.timeout: must be in (0, 5m], got {Timeout}";
        }

        if (RepeatInterval is { } ri && ri < TimeSpan.FromSeconds(1))
        {
            yield return $"{path}.repeatInterval: must be at least 1s, got {ri}";
        }
    }

    private IEnumerable<string> ValidateMembers(string path)
    {
        if (Urls.Count > MaxMembers)
        {
            yield return $"{path}.urls: at most {MaxMembers} members, got {Urls.Count}";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Urls.Count; i++)
        {
            var u = Urls[i] ?? "";
            if (!IsHttpUrl(u))
            {
                yield return $"{path}.urls[{i}]: must be an absolute http(s) URL";
            }
            else if (HasUserInfo(u))
            {
                yield return $"{path}.urls[{i}]: must not carry credentials (user:password@), which are never sent; use username and secretFile/secretEnv";
            }
            else if (!seen.Add(new Uri(u).AbsoluteUri.TrimEnd('/')))
            {
                // The same member twice would be sent everything twice and count as two acceptances.
                yield return $"{path}.urls[{i}]: duplicate member";
            }
        }
    }

    private static bool IsHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps);

    /// <summary>Whether <paramref name="url"/> has user-info (also for a URL read from urlFile/urlEnv, checked when the receiver is built).</summary>
    public static bool HasUserInfo(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) && u.UserInfo.Length > 0;

    /// <summary>The URL itself is a secret for Slack; elsewhere only its user-info and query may be.</summary>
    public static string RedactUrl(string type, string url)
    {
        if (url.Length == 0)
        {
            return url;
        }

        if (type == Slack || !Uri.TryCreate(url, UriKind.Absolute, out var u))
        {
            return "<redacted>";
        }

        var b = new UriBuilder(u) { UserName = "", Password = "", Query = u.Query.Length > 0 ? "redacted" : "" };
        return b.Uri.GetLeftPart(UriPartial.Query);
    }

    private bool PrintMembers(StringBuilder b)
    {
        b.Append("Name = ").Append(Name)
         .Append(", Type = ").Append(Type)
         .Append(", Url = ").Append(RedactUrl(Type, Url))
         .Append(", Urls = [").Append(string.Join(", ", Urls.Select(u => RedactUrl(Type, u ?? "")))).Append(']')
         .Append(", UrlFile = ").Append(UrlFile)
         .Append(", UrlEnv = ").Append(UrlEnv)
         .Append(", SecretFile = ").Append(SecretFile)
         .Append(", SecretEnv = ").Append(SecretEnv)
         .Append(", Username = ").Append(Username)
         .Append(", Timeout = ").Append(Timeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
         .Append(", SendResolved = ").Append(SendResolved ? "true" : "false");
        return true;
    }
}

/// <summary>Checks on the receivers list as a whole (each entry validates itself).</summary>
public static class ReceiverList
{
    public static IEnumerable<string> Validate(string path, IReadOnlyList<ReceiverSettings> receivers)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < receivers.Count; i++)
        {
            foreach (var p in receivers[i].Validate($"{path}[{i}]"))
            {
                yield return p;
            }

            if (!seen.Add(receivers[i].Name))
            {
                yield return $"{path}[{i}].name: duplicate receiver name '{receivers[i].Name}'";
            }
        }
    }
}
