using System.Collections.Frozen;

namespace IntegrationHub.Gateway.Notifications;

/// <summary>How a person or a unit is reached.</summary>
internal enum NotificationChannelKind
{
    /// <summary>E-mail over SMTP to the person's address.</summary>
    Email,

    /// <summary>SMS through the configured HTTP gateway to the person's phone.</summary>
    Sms,

    /// <summary>A WeCom (企业微信) group robot, a unit's operator-managed target.</summary>
    WeCom,

    /// <summary>A DingTalk (钉钉) group robot, a unit's operator-managed target, signed when it has a secret.</summary>
    DingTalk,
}

/// <summary>What a notification says. <see cref="Link"/> is the acknowledgement page, when the message carries one.</summary>
internal sealed record NotificationMessage(string Subject, string Text, Uri? Link = null);

/// <summary>Where one message goes: an e-mail address, a phone number, or a robot's webhook URL with its signing secret.</summary>
internal sealed record NotificationTarget(string Address, string? Secret = null)
{
    // The secret and a robot's URL (its access token is in the query) never show in logs or records.
    public override string ToString() => "NotificationTarget";
}

/// <summary>One attempt's outcome. <see cref="RetryAfter"/> is the channel's own request to wait, when it made one.</summary>
internal sealed record SendResult(bool Sent, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static readonly SendResult Success = new(true);

    public static SendResult Failed(string error, TimeSpan? retryAfter = null) =>
        new(false, error.Length > NotificationOptions.MaxErrorLength ? error[..NotificationOptions.MaxErrorLength] : error, retryAfter);
}

/// <summary>Delivery errors as the notification list shows them: servers echo addresses, which are personal data (LOOP-003).</summary>
internal static partial class NotificationErrors
{
    /// <summary>The error with every e-mail address and phone number in it replaced by a placeholder.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(error))]
    public static string? Redact(string? error) =>
        error is null ? null : Phones().Replace(Emails().Replace(error, "[e-mail]"), "[phone]");

    [System.Text.RegularExpressions.GeneratedRegex(@"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")]
    private static partial System.Text.RegularExpressions.Regex Emails();

    // Seven digits or more, with the separators people write: short numbers (a status code, seconds) stay.
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.])\+?\d(?:[ -]?\d){6,19}(?![\w.])")]
    private static partial System.Text.RegularExpressions.Regex Phones();
}

/// <summary>
/// A way of reaching people, as a named strategy (like the subscriptions' delivery channels). A channel never throws for
/// a failed delivery: it answers why, so the sender records it and retries.
/// </summary>
internal interface INotificationChannel
{
    NotificationChannelKind Kind { get; }

    Task<SendResult> SendAsync(NotificationTarget target, NotificationMessage message, CancellationToken cancellationToken);
}

/// <summary>The channels by kind; two channels of one kind fail at start.</summary>
internal sealed class NotificationChannels(IEnumerable<INotificationChannel> channels, NotificationMetrics metrics)
{
    private readonly FrozenDictionary<NotificationChannelKind, INotificationChannel> _channels = channels.ToFrozenDictionary(c => c.Kind);

    /// <summary>Sends through the channel of <paramref name="kind"/> and counts the attempt.</summary>
    public async Task<SendResult> SendAsync(NotificationChannelKind kind, NotificationTarget target, NotificationMessage message, CancellationToken cancellationToken)
    {
        var result = _channels.TryGetValue(kind, out var channel)
            ? await channel.SendAsync(target, message, cancellationToken)
            : SendResult.Failed($"No {kind} channel is configured on this hub.");
        metrics.Attempt(kind, result.Sent);
        return result;
    }

    /// <summary>Cuts a text to <paramref name="length"/> characters, marking the cut, without splitting a surrogate pair.</summary>
    public static string Cut(string text, int length)
    {
        if (text.Length <= length)
        {
            return text;
        }
        var end = length - 1;
        if (char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }
        return string.Concat(text.AsSpan(0, end), "…");
    }
}
