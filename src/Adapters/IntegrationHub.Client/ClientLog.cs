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

    [LoggerMessage(EventId = 4120, Level = LogLevel.Information, Message = "Connected to the hub's MQTT broker {Broker} as {MqttClientId}")]
    public static partial void MqttConnected(ILogger logger, Uri broker, string mqttClientId);

    [LoggerMessage(EventId = 4121, Level = LogLevel.Warning, Message = "Could not connect to the hub's MQTT broker {Broker}; trying again after a pause")]
    public static partial void MqttConnectFailed(ILogger logger, Uri broker, Exception exception);

    [LoggerMessage(EventId = 4122, Level = LogLevel.Warning, Message = "The connection to the hub's MQTT broker {Broker} was lost ({Reason}: {ReasonString}); reconnecting")]
    public static partial void MqttLost(ILogger logger, Uri broker, MQTTnet.MqttClientDisconnectReason reason, string? reasonString);

    [LoggerMessage(EventId = 4123, Level = LogLevel.Debug, Message = "Reconnecting to the hub's MQTT broker {Broker} with a fresh token before the current one expires")]
    public static partial void MqttRenewing(ILogger logger, Uri broker);

    [LoggerMessage(EventId = 4130, Level = LogLevel.Information, Message = "Listening for commands on the hub's MQTT broker {Broker}: {Filter}")]
    public static partial void CommandsListening(ILogger logger, Uri broker, string filter);

    [LoggerMessage(EventId = 4131, Level = LogLevel.Information, Message = "Command {CommandId} ({Command}) answered {Status}")]
    public static partial void CommandAnswered(ILogger logger, string commandId, string command, string status);

    [LoggerMessage(EventId = 4132, Level = LogLevel.Debug, Message = "Command {CommandId} came again; answered {Status} again")]
    public static partial void CommandRepeated(ILogger logger, string commandId, string status);

    [LoggerMessage(EventId = 4133, Level = LogLevel.Warning, Message = "The answer {Status} to command {CommandId} could not be sent to the hub")]
    public static partial void CommandAnswerLost(ILogger logger, string commandId, string status, Exception exception);

    [LoggerMessage(EventId = 4134, Level = LogLevel.Warning, Message = "The hub refused the answer {Status} to command {CommandId}: {Reason}")]
    public static partial void CommandAnswerRefused(ILogger logger, string commandId, string status, string reason);

    [LoggerMessage(EventId = 4135, Level = LogLevel.Warning, Message = "A message on {Source} is not a command the hub sends; ignored")]
    public static partial void CommandUnreadable(ILogger logger, string source);
}
