using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>What an acknowledgement link's token says: the notification it came with, or why it says nothing.</summary>
internal enum AckLinkState
{
    Valid,

    /// <summary>Not one of the hub's tokens: made up, cut short or changed.</summary>
    Invalid,

    Expired,
}

/// <summary>
/// The acknowledgement links in messages to people (LOOP-012): <c>{Notifications:PublicUrl}/ack/{token}</c>, the token
/// the notification's id signed and encrypted with the hub's Data Protection keys (shared by a cluster's nodes) and
/// good for <see cref="NotificationOptions.AckLinkLifetime"/> by the hub's clock. The base is configured, never taken
/// from a request: a forged Host header must not name where people acknowledge. Without it, messages carry no link.
/// </summary>
internal sealed class AcknowledgementLinks(IDataProtectionProvider protection, IOptions<NotificationOptions> options, TimeProvider time)
{
    public const string Path = "/ack";

    // Data Protection judges expiry by the machine's clock and answers an expired token as it answers a forged one. It
    // is told a month more than the link's life: within that month the hub's clock judges, so that a person whose link
    // ran out is told so; past it Data Protection refuses the token on its own.
    private static readonly TimeSpan Backstop = TimeSpan.FromDays(30);

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("IntegrationHub.Notifications.Ack.v1").ToTimeLimitedDataProtector();

    /// <summary>The link for a notification sent now, or null when the hub has no public address configured.</summary>
    public Uri? Create(long notificationId)
    {
        if (options.Value.PublicUrl is not { } hub)
        {
            return null;
        }
        var token = _protector.Protect(notificationId.ToString(CultureInfo.InvariantCulture), time.GetUtcNow() + options.Value.AckLinkLifetime + Backstop);
        return new Uri($"{hub.AbsoluteUri.TrimEnd('/')}{Path}/{token}");
    }

    /// <summary>The notification a token names, if the token is the hub's and has not run out by the hub's clock.</summary>
    public (AckLinkState State, long NotificationId) Read(string token)
    {
        string payload;
        DateTimeOffset expiration;
        try
        {
            payload = _protector.Unprotect(token, out expiration);
        }
        catch (CryptographicException)
        {
            return (AckLinkState.Invalid, 0);
        }
        if (!long.TryParse(payload, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return (AckLinkState.Invalid, 0);
        }
        return (expiration - Backstop <= time.GetUtcNow() ? AckLinkState.Expired : AckLinkState.Valid, id);
    }
}
