using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using IntegrationHub.Gateway.Events;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>
/// Webhooks (EVT-003): CloudEvents over HTTP POST, binary mode by default (the data is the body, the attributes are
/// <c>ce-</c> headers), structured or batched on request; signed with Standard Webhooks headers. Any 2xx acknowledges;
/// 410 Gone disables the subscription; <c>Retry-After</c> on 429 and 503 sets the next attempt; a redirect is a
/// failure (never followed). The answer's body is not read.
/// </summary>
internal sealed class WebhookChannel(
    IHttpClientFactory clients,
    CloudEventFormat format,
    WebhookSecrets secrets,
    TimeProvider time,
    IOptions<SubscriptionOptions> options) : IDeliveryChannel
{
    public const string ClientName = "webhooks";

    private readonly ConcurrentDictionary<string, (long Version, IReadOnlyList<WebhookSecret> Secrets)> _secrets = new(StringComparer.Ordinal);

    // An event's binary-mode headers, encoded once for every subscriber that receives it.
    private readonly ConditionalWeakTable<OutboxEvent, KeyValuePair<string, string>[]> _headers = [];

    public SubscriptionChannel Channel => SubscriptionChannel.Webhook;

    public int BatchSize(Subscription subscription) => subscription.Mode == EventMode.Batched ? subscription.MaxBatch : 1;

    public async Task<DeliveryResult> DeliverAsync(Subscription subscription, IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url);
        ReadOnlyMemory<byte>[] body;
        string id;
        if (subscription.Mode == EventMode.Binary)
        {
            var e = events[0];
            body = [e.Data];
            request.Content = new ByteArrayContent(e.Data);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(CloudEventFormat.DataMediaType) { CharSet = "utf-8" };
            foreach (var (name, value) in _headers.GetValue(e, HeadersOf))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            id = CloudEventFormat.Id(e);
        }
        else if (subscription.Mode == EventMode.Structured)
        {
            var structured = format.Structured(events[0]);
            body = [structured];
            request.Content = new ByteArrayContent(structured);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(CloudEventFormat.StructuredMediaType) { CharSet = "utf-8" };
            id = CloudEventFormat.Id(events[0]);
        }
        else
        {
            body = format.Batch(events);
            request.Content = new PiecesContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(CloudEventFormat.BatchMediaType) { CharSet = "utf-8" };
            // A batch is one message: the same events in the same batch keep the same id on a retry.
            id = $"batch-{CloudEventFormat.Id(events[0])}-{CloudEventFormat.Id(events[^1])}";
        }
        var now = time.GetUtcNow();
        var timestamp = now.ToUnixTimeSeconds();
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSecrets.Sign(SecretsOf(subscription), id, timestamp, body, now.ToUnixTimeMilliseconds()));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => DeliveryResult.Success,
                410 => new DeliveryResult(false, "The receiver answered 410 Gone.", Gone: true),
                >= 300 and < 400 => DeliveryResult.Failed($"The receiver answered {status} (a redirect; redirects are not followed)."),
                429 or 503 => DeliveryResult.Failed($"The receiver answered {status}.", RetryAfter(response.Headers.RetryAfter, now)),
                _ => DeliveryResult.Failed($"The receiver answered {status}."),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Failed($"No answer within {options.Value.Timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms.");
        }
        catch (HttpRequestException e)
        {
            return DeliveryResult.Failed(e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message);
        }
    }

    /// <summary>
    /// The CloudEvents webhook validation handshake (abuse protection): an OPTIONS request naming the hub as
    /// <c>WebHook-Request-Origin</c>; the receiver must answer 2xx and allow that origin (or <c>*</c>) in
    /// <c>WebHook-Allowed-Origin</c>. Returns the rate it allows (<c>WebHook-Allowed-Rate</c>, requests per minute), or why it failed.
    /// </summary>
    public async Task<(bool Valid, int? AllowedRate, string? Error)> HandshakeAsync(Uri url, string origin, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, url);
        request.Headers.TryAddWithoutValidation("WebHook-Request-Origin", origin);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return (false, null, $"The receiver answered the validation request (OPTIONS) with {(int)response.StatusCode}.");
            }
            var allowed = response.Headers.TryGetValues("WebHook-Allowed-Origin", out var origins) ? origins.FirstOrDefault() : null;
            if (allowed != "*" && !string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase))
            {
                return (false, null, $"The receiver did not allow the origin '{origin}' in WebHook-Allowed-Origin.");
            }
            int? rate = response.Headers.TryGetValues("WebHook-Allowed-Rate", out var rates)
                && int.TryParse(rates.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var perMinute) && perMinute > 0
                ? perMinute
                : null;
            return (true, rate, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, null, "The receiver did not answer the validation request (OPTIONS) in time.");
        }
        catch (HttpRequestException e)
        {
            return (false, null, $"The validation request (OPTIONS) failed: {e.Message}");
        }
    }

    private KeyValuePair<string, string>[] HeadersOf(OutboxEvent e) =>
        [.. format.Attributes(e).Select(a => KeyValuePair.Create("ce-" + a.Key, HeaderValue(a.Value)))];

    private IReadOnlyList<WebhookSecret> SecretsOf(Subscription subscription)
    {
        if (_secrets.TryGetValue(subscription.Id, out var cached) && cached.Version == subscription.Version)
        {
            return cached.Secrets;
        }
        var current = secrets.Unprotect(subscription.Secrets);
        _secrets[subscription.Id] = (subscription.Version, current);
        return current;
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        var wait = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };
        return wait is { } value ? TimeSpan.FromTicks(Math.Clamp(value.Ticks, 0, options.Value.MaxRetryAfter.Ticks)) : null;
    }

    /// <summary>CloudEvents HTTP binding §3.1.3.2: space, <c>"</c>, <c>%</c> and anything outside printable ASCII are percent-encoded (UTF-8).</summary>
    private static string HeaderValue(string value)
    {
        if (value.All(c => c is > ' ' and < '\u007f' and not '"' and not '%'))
        {
            return value;
        }
        var builder = new StringBuilder(value.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is > (byte)' ' and < 0x7f and not (byte)'"' and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }
}

/// <summary>A request body sent as consecutive pieces that are not copied together first (a batch of rendered events).</summary>
internal sealed class PiecesContent(ReadOnlyMemory<byte>[] pieces) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        foreach (var piece in pieces)
        {
            await stream.WriteAsync(piece, cancellationToken);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        foreach (var piece in pieces)
        {
            stream.Write(piece.Span);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        foreach (var piece in pieces)
        {
            length += piece.Length;
        }
        return true;
    }
}
