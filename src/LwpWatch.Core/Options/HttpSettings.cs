namespace LwpWatch.Core.Options;

/// <summary>
/// http: where /metrics and the API listen. Loopback by default: exposing it is a choice. When exposed, an
/// optional bearer token (read from a file or an environment variable, never written in the config itself)
/// guards /api/* and, if asked, /metrics. /healthz and /readyz stay open for supervisors and probes.
/// </summary>
public sealed record HttpSettings
{
    public string Listen { get; init; } = "http://127.0.0.1:9781";

    /// <summary>File holding the bearer token for /api (first line, trimmed). Empty = no token from a file.</summary>
    public string ApiTokenFile { get; init; } = "";

    /// <summary>Environment variable holding the bearer token for /api. Empty = none.</summary>
    public string ApiTokenEnv { get; init; } = "";

    /// <summary>Also require the token on /metrics (Prometheus then needs `authorization: credentials_file`).</summary>
    public bool ProtectMetrics { get; init; }

    /// <summary>Request line + headers above this are refused (431) before any handler runs.</summary>
    public int MaxRequestHeaderBytes { get; init; } = 16 * 1024;

    /// <summary>Bodies above this are refused (413); every endpoint is a GET, so nothing legitimate sends one.</summary>
    public int MaxRequestBodyBytes { get; init; } = 4 * 1024;

    public bool HasToken => ApiTokenFile.Length > 0 || ApiTokenEnv.Length > 0;

    public IEnumerable<string> Validate(string path)
    {
        if (!Uri.TryCreate(Listen, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Port <= 0)
        {
            yield return $"{path}.listen: must be an http(s)://host:port URL, got '{Listen}'";
        }

        if (ApiTokenFile.Length > 0 && ApiTokenEnv.Length > 0)
        {
            yield return $"{path}.apiTokenFile: set either apiTokenFile or apiTokenEnv, not both";
        }

        if (ProtectMetrics && !HasToken)
        {
            yield return $"{path}.protectMetrics: needs a token (apiTokenFile or apiTokenEnv)";
        }

        if (MaxRequestHeaderBytes is < 1024 or > 1024 * 1024)
        {
            yield return $"{path}.maxRequestHeaderBytes: must be between 1024 and 1048576, got {MaxRequestHeaderBytes}";
        }

        if (MaxRequestBodyBytes is < 0 or > 1024 * 1024)
        {
            yield return $"{path}.maxRequestBodyBytes: must be between 0 and 1048576, got {MaxRequestBodyBytes}";
        }
    }
}
