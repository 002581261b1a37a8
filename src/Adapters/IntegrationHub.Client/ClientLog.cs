using Microsoft.Extensions.Logging;

namespace IntegrationHub.Client;

/// <summary>The SDK's log events (ids 4100–4199).</summary>
internal static partial class ClientLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Access token for {ClientId} issued, valid for {Lifetime}")]
    public static partial void TokenIssued(ILogger logger, string clientId, TimeSpan lifetime);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "The hub refused a token for {ClientId} with status {Status}")]
    public static partial void TokenRefused(ILogger logger, string clientId, int status);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Debug, Message = "Sent a batch of {Count} telemetry messages: {Accepted} accepted, {Duplicates} duplicates, {Rejected} rejected")]
    public static partial void BatchSent(ILogger logger, int count, int accepted, int duplicates, int rejected);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "A batch of {Count} telemetry messages failed; their ids are kept, so sending them again is safe")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);
}
