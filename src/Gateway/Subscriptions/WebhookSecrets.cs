using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>A signing secret and, once a newer one replaced it, when it stops signing (Unix milliseconds).</summary>
internal sealed record WebhookSecret(string Secret, long? NotAfter);

/// <summary>
/// Standard Webhooks signing secrets (<c>whsec_</c> + base64 of 32 random bytes). The hub must sign with them, so it
/// keeps them, protected at rest with the data-protection keys in its database; it shows a secret only when it
/// creates it. While a secret rotates, the old and the new one both sign, side by side in <c>webhook-signature</c>.
/// </summary>
internal sealed class WebhookSecrets(IDataProtectionProvider protection)
{
    private const string Prefix = "whsec_";
    private readonly IDataProtector _protector = protection.CreateProtector("IntegrationHub.Subscriptions.WebhookSecrets");

    public static string Create() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Protect(IReadOnlyList<WebhookSecret> secrets) =>
        _protector.Protect(JsonSerializer.Serialize(secrets, SubscriptionJsonContext.Default.IReadOnlyListWebhookSecret));

    public IReadOnlyList<WebhookSecret> Unprotect(string? protectedSecrets) =>
        protectedSecrets is null ? [] : JsonSerializer.Deserialize(_protector.Unprotect(protectedSecrets), SubscriptionJsonContext.Default.IReadOnlyListWebhookSecret) ?? [];

    /// <summary>
    /// The <c>webhook-signature</c> header: <c>v1,</c> + base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c> under
    /// each secret still valid at <paramref name="now"/>, space-separated.
    /// </summary>
    public static string Sign(IReadOnlyList<WebhookSecret> secrets, string id, long timestamp, ReadOnlyMemory<byte> body, long now) =>
        Sign(secrets, id, timestamp, [body], now);

    /// <summary>The same, for a body sent as consecutive pieces (a batch of events): the pieces are hashed in order, where they lie.</summary>
    public static string Sign(IReadOnlyList<WebhookSecret> secrets, string id, long timestamp, ReadOnlySpan<ReadOnlyMemory<byte>> body, long now)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp.ToString(CultureInfo.InvariantCulture)}.");
        var signatures = new List<string>(secrets.Count);
        foreach (var secret in secrets.Where(s => s.NotAfter is not { } end || end > now))
        {
            // The body is hashed where it lies: a batch can be a megabyte.
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Convert.FromBase64String(secret.Secret[Prefix.Length..]));
            hmac.AppendData(prefix);
            foreach (var piece in body)
            {
                hmac.AppendData(piece.Span);
            }
            signatures.Add("v1," + Convert.ToBase64String(hmac.GetHashAndReset()));
        }
        return string.Join(' ', signatures);
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<WebhookSecret>))]
internal sealed partial class SubscriptionJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
