using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Client.Events;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Client.Webhooks;

/// <summary>
/// What a webhook subscriber does with a delivery (Standard Webhooks, <c>webhook-id</c>, <c>webhook-timestamp</c>,
/// <c>webhook-signature</c>): checks that one of its signatures is the HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>
/// under one of the subscriber's secrets (several during a rotation), that the timestamp is within the tolerance of
/// the subscriber's clock (replays of old deliveries are refused), and then reads the CloudEvents it carries: binary,
/// structured or batched. Framework-free: pass the headers and the raw body bytes exactly as received.
/// </summary>
public sealed class WebhookVerifier
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    private const string SecretPrefix = "whsec_";
    private const string SignaturePrefix = "v1,";

    private readonly byte[][] _keys;
    private readonly TimeSpan _tolerance;
    private readonly TimeProvider _time;

    /// <summary>
    /// A verifier for the subscription's <c>whsec_…</c> <paramref name="secrets"/> (during a rotation, the new one and
    /// the old one), accepting timestamps within <paramref name="tolerance"/> of <paramref name="time"/>'s now, either
    /// way (five minutes by default).
    /// </summary>
    public WebhookVerifier(IEnumerable<string> secrets, TimeSpan? tolerance = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _keys = [.. secrets.Select(Key)];
        if (_keys.Length == 0)
        {
            throw new ArgumentException("At least one webhook secret is needed.", nameof(secrets));
        }
        _tolerance = tolerance ?? WebhookVerifierOptions.DefaultTolerance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>From <see cref="WebhookVerifierOptions"/> (section <c>IntegrationHub:Webhooks</c>).</summary>
    public WebhookVerifier(IOptions<WebhookVerifierOptions> options, TimeProvider time)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.Secrets, options.Value.Tolerance, time)
    {
    }

    /// <summary>
    /// Checks the signature over the raw <paramref name="body"/> and the timestamp; <paramref name="header"/> gives a
    /// request header by name (case-insensitive), null or empty when absent. <see cref="WebhookVerification.Failure"/>
    /// says why a delivery is refused.
    /// </summary>
    public WebhookVerification Verify(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        var id = header(IdHeader);
        var timestamp = header(TimestampHeader);
        var signatures = header(SignatureHeader);
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
        {
            return WebhookVerification.Refused("The request lacks a webhook-id, webhook-timestamp or webhook-signature header.");
        }
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return WebhookVerification.Refused("The webhook-timestamp is not a Unix time in seconds.");
        }
        var age = _time.GetUtcNow().ToUnixTimeSeconds() - seconds;
        if (Math.Abs(age) > _tolerance.TotalSeconds)
        {
            return WebhookVerification.Refused(age > 0
                ? $"The delivery was signed {age} s ago, longer than the tolerance of {_tolerance.TotalSeconds} s (a replay?)."
                : $"The delivery is signed {-age} s in the future, beyond the tolerance of {_tolerance.TotalSeconds} s.");
        }

        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var key in _keys)
        {
            HMACSHA256.HashData(key, content, expected);
            foreach (var signature in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                // Other versions (v1a: asymmetric) may sit beside v1; a verifier skips what it does not know.
                if (signature.StartsWith(SignaturePrefix, StringComparison.Ordinal)
                    && Convert.TryFromBase64String(signature[SignaturePrefix.Length..], given, out var written)
                    && written == given.Length
                    && CryptographicOperations.FixedTimeEquals(expected, given))
                {
                    return WebhookVerification.Verified(id, DateTimeOffset.FromUnixTimeSeconds(seconds));
                }
            }
        }
        return WebhookVerification.Refused("No webhook-signature matches the body under the configured secrets.");
    }

    /// <summary>
    /// Verifies a delivery and reads its events: binary mode (the data is the body, attributes in <c>ce-</c> headers),
    /// structured (<c>application/cloudevents+json</c>) or batched (<c>application/cloudevents-batch+json</c>).
    /// Throws <see cref="WebhookRejectedException"/> when the signature, the timestamp or the envelope is not right:
    /// answer it with 400 or 401 and the hub retries, then dead-letters. <paramref name="headers"/> are every header of
    /// the request, <paramref name="contentType"/> its media type and <paramref name="body"/> its raw bytes.
    /// </summary>
    public WebhookDelivery Receive(IEnumerable<KeyValuePair<string, string>> headers, string? contentType, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var list = headers as IReadOnlyCollection<KeyValuePair<string, string>> ?? [.. headers];
        string? Header(string name) => list.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        var verification = Verify(Header, body);
        if (!verification.IsValid)
        {
            throw new WebhookRejectedException(verification.Failure!);
        }
        try
        {
            return new WebhookDelivery(verification.Id!, verification.Timestamp!.Value, Read(list, contentType, body));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new WebhookRejectedException("The body is not a CloudEvent the hub sends: " + e.Message, e);
        }
    }

    /// <summary>The events of a delivery whose signature was checked; by its media type.</summary>
    public static IReadOnlyList<CloudEvent> Read(IEnumerable<KeyValuePair<string, string>> headers, string? contentType, ReadOnlySpan<byte> body)
    {
        var mediaType = contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType : null;
        if (string.Equals(mediaType, CloudEventMediaTypes.Structured, StringComparison.OrdinalIgnoreCase))
        {
            using var document = JsonDocument.Parse(body.ToArray());
            return [CloudEvent.FromStructured(document.RootElement)];
        }
        if (string.Equals(mediaType, CloudEventMediaTypes.Batch, StringComparison.OrdinalIgnoreCase))
        {
            using var document = JsonDocument.Parse(body.ToArray());
            return CloudEvent.FromBatch(document.RootElement);
        }
        return [CloudEvent.FromBinary(headers, contentType, body)];
    }

    private static byte[] Key(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            return Convert.FromBase64String(encoded);
        }
        catch (FormatException e)
        {
            throw new ArgumentException("A webhook secret is whsec_ followed by base64, as the hub issued it.", nameof(secret), e);
        }
    }
}

/// <summary>The verdict on a delivery's signature and timestamp.</summary>
public sealed record WebhookVerification(bool IsValid, string? Id, DateTimeOffset? Timestamp, string? Failure)
{
    internal static WebhookVerification Verified(string id, DateTimeOffset timestamp) => new(true, id, timestamp, null);

    internal static WebhookVerification Refused(string failure) => new(false, null, null, failure);
}

/// <summary>
/// A verified delivery: its <c>webhook-id</c> (the event id, or <c>batch-{first}-{last}</c> for a batch; the same on
/// every retry, so a receiver can de-duplicate by it), when the hub signed it, and its events.
/// </summary>
public sealed record WebhookDelivery(string Id, DateTimeOffset SignedAt, IReadOnlyList<CloudEvent> Events);

/// <summary>A delivery refused: bad or missing signature, a timestamp out of tolerance, or a body that is not a CloudEvent.</summary>
public sealed class WebhookRejectedException : Exception
{
    public WebhookRejectedException()
    {
    }

    public WebhookRejectedException(string message)
        : base(message)
    {
    }

    public WebhookRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A subscriber's webhook settings (section <c>IntegrationHub:Webhooks</c>).</summary>
public sealed class WebhookVerifierOptions
{
    public const string Section = "IntegrationHub:Webhooks";

    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The subscription's <c>whsec_…</c> secrets; keep the old one here until its overlap ends.</summary>
    [System.ComponentModel.DataAnnotations.MinLength(1)]
    public List<string> Secrets { get; set; } = [];

    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Tolerance { get; set; } = DefaultTolerance;
}
