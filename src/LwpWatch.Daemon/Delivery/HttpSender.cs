using System.Net;
using System.Text;
using LwpWatch.Core.Alerts;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// Sends one rendered request under the receiver's timeout and classifies the answer. Details never
/// contain the URL (a Slack URL is a credential) or the body.
/// </summary>
public sealed class HttpSender(HttpClient client)
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(1);

    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AllowAutoRedirect = false,
    })
    {
        // Per-request timeouts come from each receiver's setting via cancellation.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<DeliveryResult> SendAsync(NotifierRequest request, TimeSpan timeout, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        using var msg = new HttpRequestMessage(HttpMethod.Post, request.Url)
        {
            Content = new StringContent(request.Body, Encoding.UTF8, "application/json"),
        };
        msg.Headers.UserAgent.ParseAdd("lwpwatch/" + typeof(HttpSender).Assembly.GetName().Version?.ToString(3));
        foreach (var (k, v) in request.Headers)
        {
            msg.Headers.TryAddWithoutValidation(k, v);
        }

        try
        {
            using var response = await client.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            var detail = $"HTTP {code}";
            if (response.IsSuccessStatusCode)
            {
                return DeliveryResult.Ok(detail);
            }

            if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity)
            {
                return new DeliveryResult(DeliveryOutcome.Rejected, detail);
            }

            return new DeliveryResult(DeliveryOutcome.Retry, detail, RetryAfter(response, now));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryResult(DeliveryOutcome.Retry, $"timed out after {timeout.TotalSeconds:0.###}s");
        }
        catch (HttpRequestException ex)
        {
            return new DeliveryResult(DeliveryOutcome.Retry, ex.HttpRequestError.ToString() + (ex.InnerException is { } inner ? ": " + inner.Message : ""));
        }
    }

    /// <summary>Retry-After as seconds or an HTTP date (Slack and PagerDuty send it with 429).</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        var ra = response.Headers.RetryAfter;
        TimeSpan? after = ra?.Delta ?? (ra?.Date is { } d ? d - now : null);
        if (after is not { } a || a <= TimeSpan.Zero)
        {
            return null;
        }

        return a > MaxRetryAfter ? MaxRetryAfter : a;
    }
}
