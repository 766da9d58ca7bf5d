namespace LwpWatch.Core.Options;

/// <summary>http: where /metrics and the API listen. Loopback by default: exposing it is a choice.</summary>
public sealed record HttpSettings
{
    public string Listen { get; init; } = "http://127.0.0.1:9781";

    public IEnumerable<string> Validate(string path)
    {
        if (!Uri.TryCreate(Listen, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Port <= 0)
        {
            yield return $"{path}.listen: must be an http(s)://host:port URL, got '{Listen}'";
        }
    }
}
